import { Command } from '@nestjs/cqrs';
import type { ClientContext, LoginResult } from '../../login-result';

export class VerifyOtpCommand extends Command<LoginResult> {
  constructor(
    readonly challengeId: string,
    readonly code: string,
    readonly trustDevice: boolean,
    readonly deviceName: string | undefined,
    readonly client: ClientContext,
  ) {
    super();
  }
}
