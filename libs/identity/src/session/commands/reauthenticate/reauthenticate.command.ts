import { Command } from '@nestjs/cqrs';

/** The signed-in user enters their password again, so that their session counts as a recent login. */
export class ReauthenticateCommand extends Command<void> {
  constructor(
    readonly userId: string,
    readonly sessionId: string,
    readonly password: string,
    /** The caller's IP: the attempt counts in its failure window like a login's. */
    readonly ip: string | null,
    /** The device token the request carries: it must be the session's trusted device. */
    readonly deviceToken: string | undefined,
  ) {
    super();
  }
}
