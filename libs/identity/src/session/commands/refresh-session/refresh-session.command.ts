import { Command } from '@nestjs/cqrs';
import type { LoginResult } from '../../../login/login-result';

export class RefreshSessionCommand extends Command<Extract<LoginResult, { status: 'authenticated' }>> {
  constructor(readonly refreshToken: string) {
    super();
  }
}
