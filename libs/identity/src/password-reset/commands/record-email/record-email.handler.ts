import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository } from '@latchkey/event-store';
import { PasswordReset } from '../../password-reset.aggregate';
import { RecordResetEmailFailedCommand, RecordResetEmailSentCommand } from './record-email.command';

/** The email worker's reports on a reset or invitation email; each recorded once. */
@CommandHandler(RecordResetEmailSentCommand)
export class RecordResetEmailSentHandler implements ICommandHandler<RecordResetEmailSentCommand, void> {
  constructor(private readonly repository: AggregateRepository) {}

  async execute(command: RecordResetEmailSentCommand): Promise<void> {
    await this.repository.update(PasswordReset, command.resetId, (reset) => {
      reset.recordSent(command.sourceEventId, command.provider, command.providerMessageId);
    });
  }
}

@CommandHandler(RecordResetEmailFailedCommand)
export class RecordResetEmailFailedHandler implements ICommandHandler<RecordResetEmailFailedCommand, void> {
  constructor(private readonly repository: AggregateRepository) {}

  async execute(command: RecordResetEmailFailedCommand): Promise<void> {
    await this.repository.update(PasswordReset, command.resetId, (reset) => {
      reset.recordFailed(command.sourceEventId, command.reason);
    });
  }
}
