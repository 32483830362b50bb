import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository } from '@latchkey/event-store';
import { ConnectionNotSharedError } from '../../../shared/errors';
import { SsoConnection } from '../../sso-connection.aggregate';
import { JoinSsoConnectionCommand } from './join-connection.command';

@CommandHandler(JoinSsoConnectionCommand)
export class JoinSsoConnectionHandler implements ICommandHandler<JoinSsoConnectionCommand, void> {
  constructor(private readonly repository: AggregateRepository) {}

  async execute(command: JoinSsoConnectionCommand): Promise<void> {
    await this.repository.update(SsoConnection, command.connectionId, (connection) => {
      if (!connection.exists) throw new ConnectionNotSharedError();
      if (command.join) connection.join(command.accountId);
      else connection.leave(command.accountId);
    });
  }
}
