import { Command } from '@nestjs/cqrs';
import type { ClientContext, LoginResult } from '../../login-result';

/** "I understand": apply the group changes shown to the user, then go on with the login. */
export class ConfirmGroupsCommand extends Command<LoginResult> {
  constructor(
    readonly confirmationId: string,
    readonly client: ClientContext,
  ) {
    super();
  }
}
