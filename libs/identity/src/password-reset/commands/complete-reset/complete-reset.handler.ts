import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository, Clock, type Sql } from '@latchkey/event-store';
import { PasswordHasher, PasswordPolicy, sha256 } from '@latchkey/security';
import { InvalidResetTokenError } from '../../../shared/errors';
import { IdentityReadModels } from '../../../shared/read-models';
import { endSessions } from '../../../session/end-sessions';
import { User } from '../../../user/user.aggregate';
import { PasswordReset } from '../../password-reset.aggregate';
import { resetsOfUser } from '../../reset-issuer';
import { CompleteResetCommand } from './complete-reset.command';

interface TokenRow {
  resetId: string;
  userId: string;
  initiatedBy: 'self' | 'admin' | 'invitation';
  expiresAt: Date;
  usedAt: Date | null;
  supersededAt: Date | null;
}

/**
 * Sets a new password through a link: the link works once, before it expires, and only if it
 * is the user's latest; then the password changes, every session of the user ends, and the
 * user's other links stop working — all in one transaction. It does not log the user in: the
 * next login from a new device still needs a code.
 */
@CommandHandler(CompleteResetCommand)
export class CompleteResetHandler implements ICommandHandler<CompleteResetCommand, void> {
  constructor(
    private readonly clock: Clock,
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
  ) {}

  async execute(command: CompleteResetCommand): Promise<void> {
    const tokenHash = sha256(command.token);
    const link = await this.usable(tokenHash, this.read.sql);
    const user = link ? await this.read.userById(link.userId) : undefined;
    if (!link || !user) throw new InvalidResetTokenError();
    this.policy.check(command.newPassword, { email: user.email, username: user.username });
    const hash = await this.hasher.hash(command.newPassword);

    await this.repository.exclusive([`reset-${link.resetId}`, resetsOfUser(user.id)], async (uow) => {
      // Checked again under the lock: the same link used twice at once works once.
      if (!(await this.usable(tokenHash, uow.sql))) throw new InvalidResetTokenError();
      const reset = await uow.load(PasswordReset, link.resetId);
      if (!reset.complete()) throw new InvalidResetTokenError();
      const account = await uow.load(User, user.id);
      account.changePassword(hash, link.initiatedBy === 'invitation' ? 'invitation' : 'reset');
      await endSessions(this.read, uow, user.id, 'password_reset');
    });
  }

  private async usable(tokenHash: string, sql: Sql): Promise<TokenRow | undefined> {
    const [row] = await sql.query<TokenRow>(
      `SELECT reset_id AS "resetId", user_id AS "userId", initiated_by AS "initiatedBy", expires_at AS "expiresAt",
              used_at AS "usedAt", superseded_at AS "supersededAt"
         FROM read.reset_tokens WHERE token_hash = $1`,
      [tokenHash],
    );
    if (!row || row.usedAt || row.supersededAt || row.expiresAt <= this.clock.now()) return undefined;
    return row;
  }
}
