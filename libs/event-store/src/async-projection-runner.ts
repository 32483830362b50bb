import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@latchkey/config';
import { EventStore } from './event-store';
import { ProjectionRegistry } from './projection';
import { asyncSubscriptionName } from './rebuild';
import { Subscription, type SubscriptionOptions } from './subscription';

/** Runs every async projection from its own checkpointed subscription (the worker starts it). */
@Injectable()
export class AsyncProjectionRunner {
  private readonly logger = new Logger(AsyncProjectionRunner.name);
  private subscriptions: Subscription[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly store: EventStore,
    private readonly projections: ProjectionRegistry,
  ) {}

  start(options: SubscriptionOptions = {}): void {
    if (this.subscriptions.length > 0) return;
    this.subscriptions = this.projections.async().map(
      (projection) =>
        new Subscription(
          asyncSubscriptionName(projection.name),
          this.config.database.url,
          this.store,
          (events, tx) => ProjectionRegistry.applyAll([projection], events, tx),
          { queryTimeoutMs: this.config.database.queryTimeoutMs, ...options },
        ),
    );
    for (const subscription of this.subscriptions) subscription.start();
    this.logger.log(`running ${this.subscriptions.length} async projections`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.subscriptions.map((s) => s.stop()));
    this.subscriptions = [];
  }

  /** The running subscriptions, one per async projection. */
  get running(): readonly Subscription[] {
    return this.subscriptions;
  }

  status(): { name: string; state: string }[] {
    return this.subscriptions.map((s) => ({ name: s.name, state: s.state }));
  }
}
