import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository } from '@latchkey/event-store';
import { NotFoundError } from '../../../shared/errors';
import { User } from '../../user.aggregate';
import { UnlinkIdentityCommand } from './unlink-identity.command';

@CommandHandler(UnlinkIdentityCommand)
export class UnlinkIdentityHandler implements ICommandHandler<UnlinkIdentityCommand, void> {
  constructor(private readonly repository: AggregateRepository) {}

  async execute(command: UnlinkIdentityCommand): Promise<void> {
    await this.repository.update(User, command.userId, (user) => {
      if (!user.unlinkIdentity(command.identityId)) throw new NotFoundError();
    });
  }
}
