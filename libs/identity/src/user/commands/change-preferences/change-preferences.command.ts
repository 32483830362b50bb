import { Command } from '@nestjs/cqrs';
import type { Channel } from '../../../shared/roles';

export class ChangePreferencesCommand extends Command<void> {
  constructor(
    readonly userId: string,
    readonly change: { locale?: string; twoFactorChannel?: Channel; phone?: string | null },
  ) {
    super();
  }
}
