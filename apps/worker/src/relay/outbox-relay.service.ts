import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@latchkey/config';
import { EventStore, Subscription, type StoredEvent } from '@latchkey/event-store';
import { JOB_DELIVER_OTP, JOB_SEND_EMAIL, JOB_SEND_NOTICE, QueueName, jobOptions, otpQueueFor, type DeliverOtpJob } from '@latchkey/delivery';
import { OtpChallengeIssued, OtpResent, PasswordChanged, ResetRequested, UserPreferencesChanged } from '@latchkey/identity';
import type { Queue } from 'bullmq';

export const RELAY_SUBSCRIPTION = 'relay';

/**
 * The outbox relay: follows the event store and enqueues one delivery job per event that asks
 * for a message. The job id is the event id, so a batch enqueued again after a crash (the
 * checkpoint moves only after the enqueue) adds nothing twice. One relay is active across all
 * worker processes (the subscription's advisory lock); the others stand by.
 */
@Injectable()
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private subscription: Subscription | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly store: EventStore,
    @InjectQueue(QueueName.OtpSms) private readonly otpSms: Queue,
    @InjectQueue(QueueName.OtpVoice) private readonly otpVoice: Queue,
    @InjectQueue(QueueName.OtpEmail) private readonly otpEmail: Queue,
    @InjectQueue(QueueName.Email) private readonly email: Queue,
  ) {}

  start(): void {
    this.subscription ??= new Subscription(RELAY_SUBSCRIPTION, this.config.database.url, this.store, (events) => this.relay(events), {
      // Codes are waited for by a person: look for new ones often (a cheap indexed query).
      idleDelayMs: 25,
      queryTimeoutMs: this.config.database.queryTimeoutMs,
    });
    this.subscription.start();
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  /** The relay's subscription, once started. */
  get running(): Subscription | undefined {
    return this.subscription;
  }

  get state(): string {
    return this.subscription?.state ?? 'stopped';
  }

  private async relay(events: readonly StoredEvent[]): Promise<void> {
    const byQueue = new Map<Queue, { name: string; data: DeliverOtpJob; opts: ReturnType<typeof jobOptions> }[]>();
    for (const event of events) {
      let queueName: QueueName;
      let jobName: string;
      if (event.type === OtpChallengeIssued.type || event.type === OtpResent.type) {
        queueName = otpQueueFor((event.data as OtpResent['data']).channel);
        jobName = JOB_DELIVER_OTP;
      } else if (event.type === ResetRequested.type) {
        queueName = QueueName.Email;
        jobName = JOB_SEND_EMAIL;
      } else if (asksForNotice(event)) {
        queueName = QueueName.Email;
        jobName = JOB_SEND_NOTICE;
      } else continue;
      const queue = this.queue(queueName);
      const jobs = byQueue.get(queue) ?? [];
      jobs.push({
        name: jobName,
        data: {
          eventId: event.id,
          globalPosition: event.globalPosition,
          streamId: event.streamId,
          eventType: event.type,
          correlationId: event.metadata.correlationId,
        },
        opts: jobOptions(queueName, event.id, this.config.delivery.retryDelayMs),
      });
      byQueue.set(queue, jobs);
    }
    for (const [queue, jobs] of byQueue) {
      await queue.addBulk(jobs);
      this.logger.debug(`enqueued ${jobs.length} job(s) on ${queue.name}`);
    }
  }

  private queue(name: QueueName): Queue {
    switch (name) {
      case QueueName.OtpSms:
        return this.otpSms;
      case QueueName.OtpVoice:
        return this.otpVoice;
      case QueueName.OtpEmail:
        return this.otpEmail;
      default:
        return this.email;
    }
  }
}

/**
 * Changes the user is told about by email: a new password (not the first one, set at sign-up or
 * with an invitation) and a change of where their codes go (phone, channel).
 */
function asksForNotice(event: StoredEvent): boolean {
  if (event.type === PasswordChanged.type) {
    const via = (event.data as PasswordChanged['data']).via;
    return via !== 'signup' && via !== 'invitation';
  }
  if (event.type === UserPreferencesChanged.type) {
    const data = event.data as UserPreferencesChanged['data'];
    return data.phone !== undefined || data.twoFactorChannel !== undefined;
  }
  return false;
}
