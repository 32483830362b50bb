import { QueueName } from './queues';

/** Every job type, and the queues it can be routed to. */
export const JOB_ROUTES: Record<string, readonly QueueName[]> = {
  'deliver-otp': [QueueName.OtpSms, QueueName.OtpVoice, QueueName.OtpEmail],
  'send-email': [QueueName.Email],
  'send-notice': [QueueName.Email],
};

export interface JobHandlerRegistration {
  queue: QueueName;
  jobTypes: readonly string[];
}

/**
 * Start-up check: every job type routed to a queue this process serves has exactly one
 * handler there. Returns the problems (empty when all is well).
 */
export function missingJobHandlers(served: readonly QueueName[], handlers: readonly JobHandlerRegistration[], routes = JOB_ROUTES): string[] {
  const problems: string[] = [];
  for (const queue of served) {
    for (const [jobType, queues] of Object.entries(routes)) {
      if (!queues.includes(queue)) continue;
      const count = handlers.filter((h) => h.queue === queue && h.jobTypes.includes(jobType)).length;
      if (count === 0) problems.push(`queue ${queue} has no handler for job type ${jobType}`);
      if (count > 1) problems.push(`queue ${queue} has ${count} handlers for job type ${jobType}`);
    }
  }
  return problems;
}
