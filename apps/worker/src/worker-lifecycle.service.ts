import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { AsyncProjectionRunner } from '@latchkey/event-store';

/**
 * Starts the worker's long-running loops once everything is wired, and on shutdown lets
 * each finish the batch in hand and release its lock before connections close.
 */
@Injectable()
export class WorkerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WorkerLifecycle.name);

  constructor(private readonly projections: AsyncProjectionRunner) {}

  onApplicationBootstrap(): void {
    this.projections.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.logger.log('draining: finishing batches in hand');
    await this.projections.stop();
  }
}
