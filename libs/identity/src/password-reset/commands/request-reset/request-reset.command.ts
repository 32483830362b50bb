import { Command } from '@nestjs/cqrs';

/** "Forgot your password?": answered 202 whatever happens, unless the caller's IP floods us. */
export class RequestResetCommand extends Command<void> {
  constructor(
    readonly login: string,
    readonly ip: string | null,
    /** The language of the page the reset was asked on: the email's (not stored: anyone may ask). */
    readonly locale?: string,
  ) {
    super();
  }
}

/** An account admin resets a user of their own account. */
export class AdminResetCommand extends Command<void> {
  constructor(
    readonly accountId: string,
    readonly adminId: string,
    readonly userId: string,
  ) {
    super();
  }
}
