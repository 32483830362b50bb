import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository } from '@latchkey/event-store';
import { RateLimiter, SecretBox } from '@latchkey/security';
import { lockoutRecordedKey, loginThrottleKey, MAX_ACCOUNTS_PER_EMAIL } from '../../../login/commands/password-login/password-login.handler';
import { normalizeLogin } from '../../../shared/contact';
import { NotFoundError } from '../../../shared/errors';
import { IdentityReadModels } from '../../../shared/read-models';
import { User } from '../../user.aggregate';
import { UnlockUserCommand } from './unlock-user.command';

/**
 * Clears the login-failure throttles of a user's username and email (`UserUnlocked`). The
 * email's is left when the email is also a user's in another account: that window guards the
 * other account's user as well, and one account's admin may not lift it (the user can log in
 * with their username, or wait for the window to end).
 */
@CommandHandler(UnlockUserCommand)
export class UnlockUserHandler implements ICommandHandler<UnlockUserCommand, void> {
  constructor(
    private readonly repository: AggregateRepository,
    private readonly limiter: RateLimiter,
    private readonly box: SecretBox,
    private readonly read: IdentityReadModels,
  ) {}

  async execute(command: UnlockUserCommand): Promise<void> {
    await this.repository.update(User, command.userId, async (user) => {
      const { accountId, email, username } = user.snapshot;
      if (!user.exists || accountId !== command.accountId) throw new NotFoundError();
      const sharedEmail = (await this.read.usersByEmail(normalizeLogin(email!), MAX_ACCOUNTS_PER_EMAIL)).some((u) => u.accountId !== accountId);
      const keys = (sharedEmail ? [username] : [email, username]).map((login) => loginThrottleKey(this.box, normalizeLogin(login!)));
      await this.limiter.reset(...keys, ...keys.map(lockoutRecordedKey));
      user.unlock();
    });
  }
}
