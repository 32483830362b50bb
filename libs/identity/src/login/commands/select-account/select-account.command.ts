import { Command } from '@nestjs/cqrs';
import type { ClientContext, LoginResult } from '../../login-result';

export class SelectAccountCommand extends Command<LoginResult> {
  constructor(
    readonly selectionId: string,
    readonly accountId: string,
    readonly client: ClientContext,
  ) {
    super();
  }
}
