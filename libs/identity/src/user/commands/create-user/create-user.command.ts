import { Command } from '@nestjs/cqrs';
import type { Channel, Role } from '../../../shared/roles';

export interface NewUser {
  email: string;
  username: string;
  name?: string;
  phone?: string;
  roles?: Role[];
  webAccess?: boolean;
  twoFactorChannel?: Channel;
  locale?: string;
}

/** An account admin adds a user; the user sets a password through an invitation link. */
export class CreateUserCommand extends Command<{ userId: string }> {
  constructor(
    readonly accountId: string,
    readonly adminId: string,
    readonly user: NewUser,
  ) {
    super();
  }
}
