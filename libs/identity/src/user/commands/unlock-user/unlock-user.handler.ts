import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository } from '@latchkey/event-store';
import { RateLimiter, SecretBox } from '@latchkey/security';
import { lockoutRecordedKey, loginThrottleKey } from '../../../login/commands/password-login/password-login.handler';
import { normalizeLogin } from '../../../shared/contact';
import { NotFoundError } from '../../../shared/errors';
import { User } from '../../user.aggregate';
import { UnlockUserCommand } from './unlock-user.command';

/**
 * Clears the login-failure windows of a user's username and email (`UserUnlocked`). They are
 * the user's own (a login has a window per user it names), so an email that is also a user's in
 * another account keeps that user's window as it is.
 */
@CommandHandler(UnlockUserCommand)
export class UnlockUserHandler implements ICommandHandler<UnlockUserCommand, void> {
  constructor(
    private readonly repository: AggregateRepository,
    private readonly limiter: RateLimiter,
    private readonly box: SecretBox,
  ) {}

  async execute(command: UnlockUserCommand): Promise<void> {
    await this.repository.update(User, command.userId, async (user) => {
      const { accountId, email, username } = user.snapshot;
      if (!user.exists || accountId !== command.accountId) throw new NotFoundError();
      const keys = [email, username].map((login) => loginThrottleKey(this.box, normalizeLogin(login!), accountId));
      await this.limiter.reset(...keys, ...keys.map(lockoutRecordedKey));
      user.unlock();
    });
  }
}
