import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type Type } from '@nestjs/common';
import type { AppConfig } from '@latchkey/config';
import type { RedisErrorReporter } from '@latchkey/platform';
import { JOB_DELIVER_OTP, JOB_SEND_EMAIL, JOB_SEND_NOTICE, JOB_ROUTES, QUEUE_SETTINGS, QueueName, type EventJob, type JobHandlerRegistration } from '@latchkey/delivery';
import { UnrecoverableError, type Job } from 'bullmq';
import type { DeliveryAttempt, DeliveryOutcome } from './acceptance-records';
import { OtpDelivery } from './otp-delivery.service';
import { QUEUE_REDIS_ERRORS } from './queue-redis-errors';
import { ResetEmailDelivery } from './reset-email-delivery.service';
import { SecurityNoticeDelivery } from './security-notice-delivery.service';

/** What a job type needs: sending, and recording that it will not be sent. */
interface JobHandler {
  deliver(job: EventJob, attempt: DeliveryAttempt): Promise<DeliveryOutcome>;
  fail(job: EventJob, reason: string): Promise<void>;
}

/**
 * How many times a job may be taken up again after its run died with its worker (a crash loop,
 * a kill while a provider was slow to answer) before it gives up: the next run sends nothing,
 * records an earlier run's acceptance if there is one, and otherwise records the failure (a
 * code: DeliveryFailed, and a new code on the next channel). BullMQ's own limit
 * (`maxStalledCount`) would instead fail the job without running it, and nothing would record
 * that the message is not coming (a chaos probe lost codes that way), so it is set a few stalls
 * further: room for the give-up run itself to die a few times, and still an end to a job that
 * kills every worker that takes it (that one BullMQ fails; its failure is logged as an error).
 */
export const MAX_STALLS = 2;
const BULLMQ_STALL_LIMIT = MAX_STALLS + 3;

/**
 * One queue's worker. Transient provider errors go back to BullMQ (exponential back-off); a
 * permanent refusal, or the last attempt failing, is recorded (for codes: DeliveryFailed, which
 * sends a new code on the next channel) and ends the job as failed (kept for inspection).
 */
abstract class DeliveryProcessor extends WorkerHost {
  private readonly logger = new Logger('DeliveryProcessor');
  private readonly handlers: Record<string, JobHandler>;

  constructor(
    otp: OtpDelivery,
    email: ResetEmailDelivery,
    notice: SecurityNoticeDelivery,
    private readonly redisErrors: RedisErrorReporter,
  ) {
    super();
    this.handlers = {
      [JOB_DELIVER_OTP]: { deliver: (job, attempt) => otp.deliver(job, attempt), fail: async (job, reason) => otp.fail(job, await otp.channelOf(job), reason) },
      [JOB_SEND_EMAIL]: { deliver: (job, attempt) => email.deliver(job, attempt), fail: (job, reason) => email.fail(job, reason) },
      [JOB_SEND_NOTICE]: { deliver: (job, attempt) => notice.deliver(job, attempt), fail: (job, reason) => notice.fail(job, reason) },
    };
  }

  /** The worker's own Redis connections (BullMQ duplicates one for blocking reads) failing: logged, rate-limited. */
  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.redisErrors.report(error);
  }

  /**
   * A job BullMQ failed without running it (stalled past its own limit: the give-up run died too,
   * again and again): the failure is recorded here if it can be, and logged as an error either
   * way — an operator must look at a job that kills every worker that takes it.
   */
  @OnWorkerEvent('failed')
  async onFailed(job: Job<EventJob> | undefined, error: Error): Promise<void> {
    if (!job || job.stalledCounter <= BULLMQ_STALL_LIMIT) return; // failures of runs were recorded by the run
    this.logger.error(`job ${job.id} (${job.name}) failed without a run after ${job.stalledCounter} stalls: ${error.message}`);
    await this.handlers[job.name]?.fail(job.data, 'stalled_too_often').catch((failure: Error) => this.logger.error(`could not record the failure of job ${job.id}: ${failure.message}`));
  }

  async process(job: Job<EventJob>): Promise<DeliveryOutcome> {
    const handler = this.handlers[job.name];
    if (!handler) throw new UnrecoverableError(`no handler for job type ${job.name}`);
    try {
      // BullMQ counts every time a job becomes active (a retry, a stalled job taken up again):
      // on the first, no earlier run of this job can have reached a provider.
      return await handler.deliver(job.data, { first: job.attemptsStarted <= 1, maySend: job.stalledCounter <= MAX_STALLS });
    } catch (error) {
      const permanent = OtpDelivery.isPermanent(error);
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const reason = (error as { reason?: string }).reason ?? (error as Error).name ?? 'error';
      if (permanent || lastAttempt) {
        await handler.fail(job.data, permanent ? reason : `retries_exhausted:${reason}`);
        throw new UnrecoverableError(`not delivered: ${reason}`);
      }
      this.logger.warn(`delivery of ${job.data.eventId} failed (${reason}), attempt ${job.attemptsMade + 1} of ${job.opts.attempts}; retrying`);
      throw error;
    }
  }
}

export type DeliveryProcessorClass = Type<WorkerHost> & { registration: JobHandlerRegistration };

/**
 * The processor class of one queue, with worker options from the settings table and the
 * configuration (made per app, because decorators are evaluated before configuration exists).
 */
export function processorFor(queue: QueueName, config: AppConfig): DeliveryProcessorClass {
  const settings = QUEUE_SETTINGS[queue];
  @Processor(queue, {
    concurrency: settings.concurrency,
    limiter: { max: config.delivery.ratePerSecond[settings.rateLimit], duration: 1000 },
    // A crashed worker's job comes back once its lock lapses; look for such jobs at a quarter of it.
    lockDuration: config.delivery.jobLockMs,
    stalledInterval: Math.max(1000, Math.floor(config.delivery.jobLockMs / 4)),
    maxStalledCount: BULLMQ_STALL_LIMIT,
  })
  @Injectable()
  class QueueProcessor extends DeliveryProcessor {
    static readonly registration: JobHandlerRegistration = {
      queue,
      jobTypes: Object.entries(JOB_ROUTES)
        .filter(([, queues]) => queues.includes(queue))
        .map(([jobType]) => jobType),
    };
    constructor(otp: OtpDelivery, email: ResetEmailDelivery, notice: SecurityNoticeDelivery, @Inject(QUEUE_REDIS_ERRORS) redisErrors: RedisErrorReporter) {
      super(otp, email, notice, redisErrors);
    }
  }
  Object.defineProperty(QueueProcessor, 'name', { value: `DeliveryProcessor[${queue}]` });
  return QueueProcessor;
}

export const DELIVERY_QUEUES = [QueueName.OtpSms, QueueName.OtpVoice, QueueName.OtpEmail, QueueName.Email] as const;
