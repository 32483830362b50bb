import { Command } from '@nestjs/cqrs';

export class RecordResetEmailSentCommand extends Command<void> {
  constructor(
    readonly resetId: string,
    readonly sourceEventId: string,
    readonly provider: string,
    readonly providerMessageId: string,
  ) {
    super();
  }
}

export class RecordResetEmailFailedCommand extends Command<void> {
  constructor(
    readonly resetId: string,
    readonly sourceEventId: string,
    readonly reason: string,
  ) {
    super();
  }
}
