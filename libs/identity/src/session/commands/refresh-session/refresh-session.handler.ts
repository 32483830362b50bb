import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository, Clock } from '@latchkey/event-store';
import { randomToken, sha256 } from '@latchkey/security';
import { LoginFinisher } from '../../../login/login-finisher';
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

  /**
   * The hot path of every client: one read (token, session and user together), then the
   * session's new event at the version that read saw. Two refreshes racing with the same token
   * both pass the read, one append wins, the other fails its version check and is decided again
   * on fresh state — where its token is now spent, so the session is revoked: the same outcome
   * as taking turns, without a lock round trip.
   */
  async execute(command: RefreshSessionCommand): Promise<Authenticated> {
    const presented = sha256(command.refreshToken);
    const outcome = await this.repository.retrying(async () => {
      const context = await this.read.refreshContext(presented);
      // A user who may not log in gets nothing, nor does a session that a later change of its
      // user ended (see `IdentityReadModels.refreshContext`); the session is left as it is.
      if (!context || !context.current || LoginFinisher.userRefusal(context.user)) return undefined;
      const session = Session.fromRow(context.session);
      const fresh = randomToken();
      const decision = session.refresh(presented, presented !== context.session.refreshTokenHash, sha256(fresh), this.sessions.refreshExpiry(), this.clock.now());
      await this.repository.save(session);
      return decision === 'rotated' ? { user: context.user, sessionId: session.id, fresh } : undefined;
    });
    if (!outcome) throw new InvalidRefreshTokenError();
    return this.sessions.authenticated(outcome.user, outcome.sessionId, outcome.fresh);
  }
}
