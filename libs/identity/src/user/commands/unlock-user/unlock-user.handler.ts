import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository } from '@latchkey/event-store';
import { LoginThrottle } from '../../../login/login-throttle';
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
    private readonly throttle: LoginThrottle,
  ) {}

  async execute(command: UnlockUserCommand): Promise<void> {
    await this.repository.update(User, command.userId, async (user) => {
      const { accountId, email, username } = user.snapshot;
      if (!user.exists || accountId !== command.accountId) throw new NotFoundError();
      await this.throttle.clear(...[email, username].map((login) => this.throttle.key(normalizeLogin(login!), accountId!)));
      user.unlock();
    });
  }
}
