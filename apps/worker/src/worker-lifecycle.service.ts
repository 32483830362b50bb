import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { missingJobHandlers, type JobHandlerRegistration, type QueueName } from '@latchkey/delivery';
import { AsyncProjectionRunner } from '@latchkey/event-store';
import { InjectRedis } from '@latchkey/platform';
import type Redis from 'ioredis';
import { OutboxRelay } from './relay/outbox-relay.service';

export const SERVED_QUEUES = Symbol('latchkey.servedQueues');

/**
 * Starts the worker's long-running loops once everything is wired, and on shutdown lets each
 * finish the batch in hand and release its lock before connections close. BullMQ processors
 * are closed by @nestjs/bullmq afterwards; closing waits for the jobs in progress.
 */
@Injectable()
export class WorkerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WorkerLifecycle.name);

  constructor(
    private readonly projections: AsyncProjectionRunner,
    private readonly relay: OutboxRelay,
    @InjectRedis() private readonly redis: Redis,
    @Inject(SERVED_QUEUES) private readonly queues: { served: QueueName[]; registrations: JobHandlerRegistration[] },
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // A job type without a handler would sit in its queue forever: refuse to start instead.
    const problems = missingJobHandlers(this.queues.served, this.queues.registrations);
    if (problems.length > 0) throw new Error(`job handlers missing: ${problems.join('; ')}`);
    await this.checkRedisPolicy();
    this.projections.start();
    this.relay.start();
    this.logger.log(`serving queues ${this.queues.served.join(', ')}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.logger.log('draining: finishing batches in hand');
    await Promise.all([this.relay.stop(), this.projections.stop()]);
  }

  /** BullMQ loses jobs if Redis evicts keys under memory pressure. */
  private async checkRedisPolicy(): Promise<void> {
    try {
      const [, policy] = (await this.redis.config('GET', 'maxmemory-policy')) as [string, string];
      if (policy !== 'noeviction') {
        this.logger.warn(`Redis maxmemory-policy is "${policy}", not "noeviction": queued deliveries can be evicted and lost`);
      }
    } catch (error) {
      this.logger.warn(`could not read Redis maxmemory-policy (${(error as Error).message}); it must be "noeviction"`);
    }
  }
}
