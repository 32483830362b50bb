import { Injectable, Logger } from '@nestjs/common';
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

/** Acceptances this process keeps in memory as well (the latest; older ones are in Redis and the streams). */
const LOCAL_ACCEPTANCES = 10_000;

/**
 * The providers' acceptances, by the event that asked for the message, in Redis — and in this
 * process's memory. A delivery writes its acceptance before anything else and a retried job
 * reads it before sending, so a job retried after a crash records the first message instead
 * of sending a second. The memory covers a retry in the same process when Redis could not take
 * the write (a chaos probe got a code sent twice that way, the worker alive throughout).
 */
@Injectable()
export class AcceptanceRecords {
  private readonly logger = new Logger(AcceptanceRecords.name);
  private readonly local = new Map<string, Accepted>();

  constructor(@InjectRedis() private readonly redis: Redis) {}

  static key(eventId: string): string {
    return `delivery:accepted:${eventId}`;
  }

  /** The acceptance an earlier run of this job recorded, if any (a first run does not ask). */
  async earlier<T extends Accepted>(eventId: string, attempt: DeliveryAttempt): Promise<T | null> {
    if (attempt.first) return null;
    const here = this.local.get(eventId);
    if (here) return here as T;
    const remembered = await this.redis.get(AcceptanceRecords.key(eventId));
    return remembered ? (JSON.parse(remembered) as T) : null;
  }

  /**
   * Never throws: the message is out, and what follows (recording it in its stream) must still
   * happen. When Redis cannot take it, this process's memory and the stream's record keep a
   * retry from sending again; only a retry in another process after this one died too could.
   */
  async remember<T extends Accepted>(eventId: string, accepted: T): Promise<void> {
    this.local.set(eventId, accepted);
    if (this.local.size > LOCAL_ACCEPTANCES) this.local.delete(this.local.keys().next().value!);
    try {
      await this.redis.set(AcceptanceRecords.key(eventId), JSON.stringify(accepted), 'EX', ACCEPTED_TTL_SECONDS);
    } catch (error) {
      this.logger.warn(`could not remember the acceptance of ${eventId} in Redis (${(error as Error).message}); kept in this process`);
    }
  }
}
