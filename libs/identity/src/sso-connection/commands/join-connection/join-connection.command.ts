import { Command } from '@nestjs/cqrs';

/** An admin of an account a connection is offered to starts (`join: true`) or stops using it. */
export class JoinSsoConnectionCommand extends Command<void> {
  constructor(
    readonly accountId: string,
    readonly connectionId: string,
    readonly join: boolean,
  ) {
    super();
  }
}
