import type { JobsOptions } from 'bullmq';

/** Every delivery queue; one per channel so a slow provider never holds up another. */
export enum QueueName {
  OtpSms = 'otp-sms',
  OtpVoice = 'otp-voice',
  OtpEmail = 'otp-email',
  Email = 'email',
}

export const ALL_QUEUES: readonly QueueName[] = Object.values(QueueName);

/** Job payloads carry references, never secrets: the processor loads and opens the event itself. */
export interface DeliverOtpJob {
  eventId: string;
  globalPosition: number;
  streamId: string;
  eventType: string;
  correlationId: string;
}

export const JOB_DELIVER_OTP = 'deliver-otp';
export const JOB_SEND_EMAIL = 'send-email';
/** A notice to the user that how they sign in changed (password, where the codes go). */
export const JOB_SEND_NOTICE = 'send-notice';

/** Every delivery job points at the event that asked for it. */
export type EventJob = DeliverOtpJob;

export interface QueueSettings {
  concurrency: number;
  attempts: number;
  /** First retry delay; each next one doubles. */
  backoffMs: number;
  /** Which provider rate limit (messages per second across all workers, from configuration) applies. */
  rateLimit: 'sms' | 'voice' | 'email';
}

/** Per-queue settings in one table. */
export const QUEUE_SETTINGS: Record<QueueName, QueueSettings> = {
  [QueueName.OtpSms]: { concurrency: 100, attempts: 5, backoffMs: 2000, rateLimit: 'sms' },
  [QueueName.OtpVoice]: { concurrency: 5, attempts: 4, backoffMs: 3000, rateLimit: 'voice' },
  [QueueName.OtpEmail]: { concurrency: 20, attempts: 6, backoffMs: 2000, rateLimit: 'email' },
  [QueueName.Email]: { concurrency: 10, attempts: 8, backoffMs: 5000, rateLimit: 'email' },
};

/**
 * Job options decided in one place: the event id as job id (enqueuing twice is a no-op),
 * retries with exponential back-off (`retryDelayMs` overrides the first delay), retention.
 */
export function jobOptions(queue: QueueName, eventId: string, retryDelayMs?: number): JobsOptions {
  const settings = QUEUE_SETTINGS[queue];
  return {
    jobId: eventId,
    attempts: settings.attempts,
    backoff: { type: 'exponential', delay: retryDelayMs ?? settings.backoffMs },
    // Completed jobs are kept a week so a replayed event id still finds its job and is not sent again.
    removeOnComplete: { age: 7 * 86_400, count: 100_000 },
    removeOnFail: false,
  };
}

export function otpQueueFor(channel: 'sms' | 'voice' | 'email'): QueueName {
  return channel === 'sms' ? QueueName.OtpSms : channel === 'voice' ? QueueName.OtpVoice : QueueName.OtpEmail;
}

/** BullMQ's own key prefix under the deployment's Redis prefix (BullMQ cannot use ioredis keyPrefix). */
export function bullPrefix(redisPrefix: string): string {
  return `${redisPrefix}bull`;
}
