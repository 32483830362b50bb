import { Command } from '@nestjs/cqrs';

export class UnlockUserCommand extends Command<void> {
  constructor(
    readonly accountId: string,
    readonly userId: string,
  ) {
    super();
  }
}
