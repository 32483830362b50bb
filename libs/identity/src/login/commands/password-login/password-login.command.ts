import { Command } from '@nestjs/cqrs';
import type { ClientContext, LoginResult } from '../../login-result';

export class PasswordLoginCommand extends Command<LoginResult> {
  constructor(
    readonly login: string,
    readonly password: string,
    readonly client: ClientContext,
    readonly locale?: string,
  ) {
    super();
  }
}
