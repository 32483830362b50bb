import { Injectable } from '@nestjs/common';
import type { EventMetadata } from '@latchkey/event-store';
import type { Accepted, EventJob } from '@latchkey/delivery';
import { InjectRedis } from '@latchkey/platform';
import type Redis from 'ioredis';

/** A job that can never succeed (its event is gone or unreadable): retrying would not help. */
export class UndeliverableError extends Error {}

export type DeliveryOutcome = 'sent' | 'already_sent' | 'stale';

/**
 * Which run of its job a delivery is. A first run skips looking for an earlier acceptance: none
 * can exist (a job is first run once, and a replayed event finds its job, or the stream's own
 * record of the delivery). Every later run looks first.
 */
export interface DeliveryAttempt {
  first: boolean;
  /**
   * False for a run of a job whose earlier runs died with their worker too often (see
   * `MAX_STALLS`): it records an earlier run's acceptance if there is one, and otherwise sends
   * nothing and gives up (`StalledTooOftenError`), so that the failure is recorded.
   */
  maySend?: boolean;
}

/** A job taken up again after more than `MAX_STALLS` of its runs died with their worker. */
export class StalledTooOftenError extends UndeliverableError {
  readonly reason = 'stalled_too_often';

  constructor() {
    super('the worker died during this job too often');
  }
}

/** Gives up a job whose runs keep dying with their worker, unless an earlier run's acceptance settled it. */
export function giveUpIfStalledTooOften(attempt: DeliveryAttempt): void {
  if (attempt.maySend === false) throw new StalledTooOftenError();
}

/** How long a provider's acceptance is remembered (longer than any retry schedule). */
const ACCEPTED_TTL_SECONDS = 7 * 86_400;

/** What the worker's events carry as metadata: the job's correlation, the event that asked, the worker as actor. */
export function workerMetadata(job: EventJob): Partial<EventMetadata> {
  return { correlationId: job.correlationId, causationId: job.eventId, actor: { type: 'system', id: 'worker' } };
}

/**
 * The providers' acceptances, by the event that asked for the message, in Redis. A delivery
 * writes its acceptance here before anything else and a retried job reads it before sending,
 * so a job retried after a crash records the first message instead of sending a second.
 */
@Injectable()
export class AcceptanceRecords {
  constructor(@InjectRedis() private readonly redis: Redis) {}

  static key(eventId: string): string {
    return `delivery:accepted:${eventId}`;
  }

  /** The acceptance an earlier run of this job recorded, if any (a first run does not ask). */
  async earlier<T extends Accepted>(eventId: string, attempt: DeliveryAttempt): Promise<T | null> {
    if (attempt.first) return null;
    const remembered = await this.redis.get(AcceptanceRecords.key(eventId));
    return remembered ? (JSON.parse(remembered) as T) : null;
  }

  async remember<T extends Accepted>(eventId: string, accepted: T): Promise<void> {
    await this.redis.set(AcceptanceRecords.key(eventId), JSON.stringify(accepted), 'EX', ACCEPTED_TTL_SECONDS);
  }
}
