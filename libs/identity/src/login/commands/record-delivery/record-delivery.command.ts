import { Command } from '@nestjs/cqrs';
import type { Channel } from '../../../shared/roles';

/** The worker's report on one code: accepted by a provider. */
export class RecordOtpDeliveredCommand extends Command<void> {
  constructor(
    readonly loginId: string,
    readonly sourceEventId: string,
    readonly channel: Channel,
    readonly provider: string,
    readonly providerMessageId: string,
  ) {
    super();
  }
}

/** The worker's report on one code: it will not arrive (refused, or retries exhausted). */
export class RecordOtpFailedCommand extends Command<{ fallback?: Channel }> {
  constructor(
    readonly loginId: string,
    readonly sourceEventId: string,
    readonly channel: Channel,
    readonly reason: string,
  ) {
    super();
  }
}
