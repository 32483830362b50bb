import { Command } from '@nestjs/cqrs';

export class SignUpCommand extends Command<{ accountId: string; userId: string }> {
  constructor(
    readonly accountName: string,
    readonly email: string,
    readonly username: string,
    readonly password: string,
    readonly phone: string | undefined,
    readonly locale: string | undefined,
  ) {
    super();
  }
}
