import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository } from '@latchkey/event-store';
import { NotFoundError } from '../../../shared/errors';
import { IdentityReadModels } from '../../../shared/read-models';
import { Session } from '../../session.aggregate';
import { RevokeSessionCommand } from './revoke-session.command';

/** Ends a session of the user: its tokens stop working at once. Another user's, or an ended one, is "not found". */
@CommandHandler(RevokeSessionCommand)
export class RevokeSessionHandler implements ICommandHandler<RevokeSessionCommand, void> {
  constructor(
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
  ) {}

  async execute(command: RevokeSessionCommand): Promise<void> {
    await this.repository.exclusive(`session-${command.sessionId}`, async (uow) => {
      const row = await this.read.sessionById(command.sessionId, uow.sql);
      if (!row || row.userId !== command.userId || !uow.add(Session.fromRow(row)).revoke(command.by)) throw new NotFoundError();
    });
  }
}
