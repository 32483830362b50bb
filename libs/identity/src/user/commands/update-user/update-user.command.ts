import { Command } from '@nestjs/cqrs';
import type { Channel, Role } from '../../../shared/roles';

export interface UserChange {
  roles?: Role[];
  webAccess?: boolean;
  twoFactorChannel?: Channel;
  phone?: string | null;
  name?: string | null;
  locale?: string;
  enabled?: boolean;
}

/** An account admin changes a user of their account. */
export class UpdateUserCommand extends Command<void> {
  constructor(
    readonly accountId: string,
    readonly userId: string,
    readonly change: UserChange,
    /** The admin and the session they act in: changing where their own codes go needs a recent login, as at /auth/me. */
    readonly actor: { userId: string; sessionId: string },
  ) {
    super();
  }
}
