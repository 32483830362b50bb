import { Command } from '@nestjs/cqrs';

/** A user removes one of their linked Google/GitHub identities. */
export class UnlinkIdentityCommand extends Command<void> {
  constructor(
    readonly userId: string,
    readonly identityId: string,
  ) {
    super();
  }
}
