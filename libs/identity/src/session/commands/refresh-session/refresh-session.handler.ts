import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository, Clock } from '@latchkey/event-store';
import { randomToken, sha256 } from '@latchkey/security';
import type { LoginResult } from '../../../login/login-result';
import { InvalidRefreshTokenError } from '../../../shared/errors';
import { IdentityReadModels } from '../../../shared/read-models';
import { Session } from '../../session.aggregate';
import { SessionIssuer } from '../../session-issuer';
import { RefreshSessionCommand } from './refresh-session.command';

type Authenticated = Extract<LoginResult, { status: 'authenticated' }>;

/**
 * Trades a refresh token for new tokens. The session's current token rotates; a spent one
 * presented again means someone else holds it, so the session is revoked for everyone.
 */
@CommandHandler(RefreshSessionCommand)
export class RefreshSessionHandler implements ICommandHandler<RefreshSessionCommand, Authenticated> {
  constructor(
    private readonly clock: Clock,
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
    private readonly sessions: SessionIssuer,
  ) {}

  async execute(command: RefreshSessionCommand): Promise<Authenticated> {
    const presented = sha256(command.refreshToken);
    const sessionId = await this.read.sessionIdOfRefreshToken(presented);
    if (!sessionId) throw new InvalidRefreshTokenError();
    const outcome = await this.repository.exclusive(`session-${sessionId}`, async (uow) => {
      // Under the lock the read model is exact: read it instead of replaying a long stream.
      const row = await this.read.sessionById(sessionId, uow.sql);
      if (!row) return { ok: false as const };
      const session = uow.add(Session.fromRow(row));
      const fresh = randomToken();
      const decision = session.refresh(presented, presented !== row.refreshTokenHash, sha256(fresh), this.sessions.refreshExpiry(), this.clock.now());
      return decision === 'rotated' ? { ok: true as const, userId: row.userId, fresh } : { ok: false as const };
    });
    if (!outcome.ok) throw new InvalidRefreshTokenError();
    const user = await this.read.userById(outcome.userId);
    if (!user || !user.enabled) throw new InvalidRefreshTokenError();
    return this.sessions.authenticated(user, sessionId, outcome.fresh);
  }
}
