import { Command } from '@nestjs/cqrs';

export class CompleteResetCommand extends Command<void> {
  constructor(
    readonly token: string,
    readonly newPassword: string,
  ) {
    super();
  }
}
