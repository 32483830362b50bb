import { Injectable, Logger } from '@nestjs/common';
import { AsyncProjectionRunner, type Subscription } from '@latchkey/event-store';
import { MetricsService } from '@latchkey/platform';
import { Gauge } from 'prom-client';
import { OutboxRelay } from './outbox-relay.service';

/** A scrape does not wait longer than this for a subscription's figure (the database may be away). */
const SCRAPE_QUERY_LIMIT_MS = 2000;

/**
 * How the worker's subscriptions (the outbox relay, the async projections) keep up, on the
 * worker's `/metrics`: whether this process runs each (one process does, the others stand by)
 * and, where it does, how many seconds old the next event it has yet to handle is — 0 when it
 * has handled everything. A delay that grows is a relay or projection that is stuck or cannot
 * keep up: codes and reset links wait with it.
 */
@Injectable()
export class SubscriptionMetrics {
  private readonly logger = new Logger(SubscriptionMetrics.name);

  constructor(metrics: MetricsService, relay: OutboxRelay, projections: AsyncProjectionRunner) {
    const subscriptions = (): Subscription[] => [...(relay.running ? [relay.running] : []), ...projections.running];
    new Gauge({
      name: 'latchkey_subscription_active',
      help: 'Whether this process is the active runner of the subscription (1) or stands by (0)',
      labelNames: ['subscription'] as const,
      registers: [metrics.registry],
      collect() {
        this.reset();
        for (const subscription of subscriptions()) this.set({ subscription: subscription.name }, subscription.state === 'active' ? 1 : 0);
      },
    });
    const logger = this.logger;
    new Gauge({
      name: 'latchkey_subscription_delay_seconds',
      help: 'Age of the next event the subscription has yet to handle (0: caught up); only from the process that runs it',
      labelNames: ['subscription'] as const,
      registers: [metrics.registry],
      async collect() {
        this.reset();
        await Promise.all(
          subscriptions().map(async (subscription) => {
            try {
              const delay = await withinLimit(subscription.delaySeconds());
              if (delay !== undefined) this.set({ subscription: subscription.name }, delay);
            } catch (error) {
              // Left out of this scrape; the process's health says why.
              logger.debug(`delay of ${subscription.name} unknown: ${(error as Error).message}`);
            }
          }),
        );
      },
    });
  }
}

function withinLimit<T>(work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), SCRAPE_QUERY_LIMIT_MS)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
