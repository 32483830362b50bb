import { getQueueToken } from '@nestjs/bullmq';
import { Logger, type Provider } from '@nestjs/common';
import { RedisErrorReporter } from '@latchkey/platform';
import type { Queue } from 'bullmq';

/** The one reporter of the errors of BullMQ's Redis connections in this process. */
export const QUEUE_REDIS_ERRORS = Symbol('latchkey.queueRedisErrors');

export function queueRedisErrors(): RedisErrorReporter {
  return new RedisErrorReporter('delivery queues', new Logger('Queues'));
}

/**
 * Watches every queue's connection errors from the moment the queue exists (an unwatched queue
 * prints each one as a stack trace). The workers watch their own (`DeliveryProcessor.onError`).
 */
export function watchedQueues(queues: readonly string[]): Provider {
  return {
    provide: Symbol('latchkey.watchedQueues'),
    useFactory: (reporter: RedisErrorReporter, ...instances: Queue[]) => instances.map((queue) => reporter.watch(queue)),
    inject: [QUEUE_REDIS_ERRORS, ...queues.map((name) => getQueueToken(name))],
  };
}
