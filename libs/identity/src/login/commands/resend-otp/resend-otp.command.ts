import { Command } from '@nestjs/cqrs';
import type { Channel } from '../../../shared/roles';

export interface ResendResult {
  channel: Channel;
  destination: string;
  resendAvailableAt: string;
}

export class ResendOtpCommand extends Command<ResendResult> {
  constructor(
    readonly challengeId: string,
    readonly channel: Channel | undefined,
  ) {
    super();
  }
}
