import { Command } from '@nestjs/cqrs';

/** One of a user's sessions ends: the user's own choice (another device's, or this one), or their admin's. */
export class RevokeSessionCommand extends Command<void> {
  constructor(
    readonly userId: string,
    readonly sessionId: string,
    readonly by: 'user' | 'admin',
  ) {
    super();
  }
}
