import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, type Type } from '@nestjs/common';
import type { AppConfig } from '@latchkey/config';
import { JOB_DELIVER_OTP, QUEUE_SETTINGS, QueueName, type DeliverOtpJob, type JobHandlerRegistration } from '@latchkey/delivery';
import { UnrecoverableError, type Job } from 'bullmq';
import { OtpDelivery, type DeliveryOutcome } from './otp-delivery.service';

/**
 * One queue's worker for `deliver-otp` jobs. Transient provider errors are thrown back to
 * BullMQ (exponential back-off); a permanent refusal, or the last attempt failing, records
 * DeliveryFailed (which sends a new code on the next channel) and ends the job as failed.
 */
abstract class OtpProcessor extends WorkerHost {
  private readonly logger = new Logger('OtpProcessor');

  constructor(private readonly delivery: OtpDelivery) {
    super();
  }

  async process(job: Job<DeliverOtpJob>): Promise<DeliveryOutcome> {
    if (job.name !== JOB_DELIVER_OTP) throw new UnrecoverableError(`no handler for job type ${job.name}`);
    try {
      return await this.delivery.deliver(job.data);
    } catch (error) {
      const permanent = OtpDelivery.isPermanent(error);
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const reason = (error as { reason?: string }).reason ?? (error as Error).name ?? 'error';
      if (permanent || lastAttempt) {
        await this.delivery.fail(job.data, await this.delivery.channelOf(job.data), permanent ? reason : `retries_exhausted:${reason}`);
        throw new UnrecoverableError(`not delivered: ${reason}`);
      }
      this.logger.warn(`delivery of ${job.data.eventId} failed (${reason}), attempt ${job.attemptsMade + 1} of ${job.opts.attempts}; retrying`);
      throw error;
    }
  }
}

export type OtpProcessorClass = Type<WorkerHost> & { registration: JobHandlerRegistration };

/**
 * The processor class of one queue, with worker options from the settings table and the
 * configuration (made per app, because decorators are evaluated before configuration exists).
 */
export function otpProcessorFor(queue: QueueName, config: AppConfig): OtpProcessorClass {
  const settings = QUEUE_SETTINGS[queue];
  @Processor(queue, {
    concurrency: settings.concurrency,
    limiter: { max: config.delivery.ratePerSecond[settings.rateLimit], duration: 1000 },
    // A crashed worker's job comes back once its lock lapses; look for such jobs at a quarter of it.
    lockDuration: config.delivery.jobLockMs,
    stalledInterval: Math.max(1000, Math.floor(config.delivery.jobLockMs / 4)),
  })
  @Injectable()
  class QueueProcessor extends OtpProcessor {
    static readonly registration: JobHandlerRegistration = { queue, jobTypes: [JOB_DELIVER_OTP] };
    constructor(delivery: OtpDelivery) {
      super(delivery);
    }
  }
  Object.defineProperty(QueueProcessor, 'name', { value: `OtpProcessor[${queue}]` });
  return QueueProcessor;
}

export const OTP_QUEUES = [QueueName.OtpSms, QueueName.OtpVoice, QueueName.OtpEmail] as const;
