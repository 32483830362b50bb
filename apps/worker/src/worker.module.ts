import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@latchkey/config';
import { ALL_QUEUES, DeliveryModule, bullPrefix, type QueueName } from '@latchkey/delivery';
import { IdentityDeliveryModule, IdentityModelModule } from '@latchkey/identity';
import { PlatformModule } from '@latchkey/platform';
import { SecurityModule } from '@latchkey/security';
import Redis from 'ioredis';
import { AcceptanceRecords } from './delivery/acceptance-records';
import { OtpDelivery } from './delivery/otp-delivery.service';
import { DELIVERY_QUEUES, processorFor } from './delivery/delivery.processors';
import { QUEUE_REDIS_ERRORS, queueRedisErrors, watchedQueues } from './delivery/queue-redis-errors';
import { ResetEmailDelivery } from './delivery/reset-email-delivery.service';
import { SecurityNoticeDelivery } from './delivery/security-notice-delivery.service';
import { OutboxRelay } from './relay/outbox-relay.service';
import { SubscriptionMetrics } from './relay/subscription-metrics';
import { SERVED_QUEUES, WorkerLifecycle } from './worker-lifecycle.service';

/** The queues this process serves: WORKER_QUEUES, or all of them. */
export function servedQueues(config: AppConfig): QueueName[] {
  const selected = config.delivery.queues;
  return ALL_QUEUES.filter((queue) => !selected || selected.includes(queue));
}

@Module({})
export class WorkerModule {
  /** `loops: false` wires the read side only, without subscriptions or queues (for one-off scripts). */
  static forRoot(config: AppConfig, options: { loops?: boolean } = {}): DynamicModule {
    const base = [PlatformModule.forRoot(config, { app: 'worker' }), IdentityModelModule];
    if (options.loops === false) return { module: WorkerModule, imports: base };
    const served = servedQueues(config);
    const processors = DELIVERY_QUEUES.filter((queue) => served.includes(queue)).map((queue) => processorFor(queue, config));
    // BullMQ's connections retry by themselves; their errors are logged, rate-limited, through one reporter.
    const redisErrors = queueRedisErrors();
    return {
      module: WorkerModule,
      imports: [
        ...base,
        SecurityModule.forRoot(),
        IdentityDeliveryModule,
        DeliveryModule,
        BullModule.forRoot({
          // BullMQ blocks on its connections: commands must wait for Redis rather than fail.
          connection: redisErrors.watchClient(new Redis(config.redis.url, { maxRetriesPerRequest: null, lazyConnect: true })),
          prefix: bullPrefix(config.redis.prefix),
        }),
        // Every queue is registered (the relay enqueues to all); only served ones get a processor.
        BullModule.registerQueue(...DELIVERY_QUEUES.map((name) => ({ name }))),
      ],
      providers: [
        OutboxRelay,
        SubscriptionMetrics,
        AcceptanceRecords,
        OtpDelivery,
        ResetEmailDelivery,
        SecurityNoticeDelivery,
        ...processors,
        { provide: QUEUE_REDIS_ERRORS, useValue: redisErrors },
        watchedQueues(DELIVERY_QUEUES),
        { provide: SERVED_QUEUES, useValue: { served, registrations: processors.map((p) => p.registration) } },
        WorkerLifecycle,
      ],
    };
  }
}
