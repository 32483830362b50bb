import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { AsyncProjectionRunner } from '@latchkey/event-store';
import { OutboxRelay } from './relay/outbox-relay.service';

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
  ) {}

  onApplicationBootstrap(): void {
    this.projections.start();
    this.relay.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.logger.log('draining: finishing batches in hand');
    await Promise.all([this.relay.stop(), this.projections.stop()]);
  }
}
