import { Command } from '@nestjs/cqrs';
import type { Channel } from '../../../shared/roles';

export class ChangePreferencesCommand extends Command<void> {
  constructor(
    readonly userId: string,
    readonly change: { locale?: string; twoFactorChannel?: Channel; phone?: string | null },
    /** The session the user acts in: a change of phone or code channel needs it to be a recent login. */
    readonly sessionId: string,
  ) {
    super();
  }
}
