import { Command } from '@nestjs/cqrs';

/** The user ends one of their sessions (another device's, or this one). */
export class RevokeSessionCommand extends Command<void> {
  constructor(
    readonly userId: string,
    readonly sessionId: string,
  ) {
    super();
  }
}
