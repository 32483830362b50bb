import { Command } from '@nestjs/cqrs';
import type { LoginResult } from '../../../login/login-result';

/** The signed-in user changes their password, proving the current one. */
export class ChangePasswordCommand extends Command<Extract<LoginResult, { status: 'authenticated' }>> {
  constructor(
    readonly userId: string,
    /** The session the user acts in: it is continued in a new one, every other ends. */
    readonly sessionId: string,
    readonly currentPassword: string,
    readonly newPassword: string,
    /** The caller's IP: a wrong current password counts in its failure window like a login's. */
    readonly ip: string | null,
  ) {
    super();
  }
}
