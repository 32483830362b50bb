import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@latchkey/config';
import { DeliveryModule, QueueName, bullPrefix } from '@latchkey/delivery';
import { IdentityModelModule } from '@latchkey/identity';
import { PlatformModule } from '@latchkey/platform';
import { SecurityModule } from '@latchkey/security';
import Redis from 'ioredis';
import { OtpDelivery } from './delivery/otp-delivery.service';
import { OtpEmailProcessor, OtpSmsProcessor, OtpVoiceProcessor } from './delivery/otp.processors';
import { OutboxRelay } from './relay/outbox-relay.service';
import { WorkerLifecycle } from './worker-lifecycle.service';

const OTP_QUEUES = [QueueName.OtpSms, QueueName.OtpVoice, QueueName.OtpEmail];

@Module({})
export class WorkerModule {
  /** `loops: false` wires the read side only, without subscriptions or queues (for one-off scripts). */
  static forRoot(config: AppConfig, options: { loops?: boolean } = {}): DynamicModule {
    const base = [PlatformModule.forRoot(config, { app: 'worker' }), IdentityModelModule];
    if (options.loops === false) return { module: WorkerModule, imports: base };
    return {
      module: WorkerModule,
      imports: [
        ...base,
        SecurityModule.forRoot(),
        DeliveryModule,
        BullModule.forRoot({
          // BullMQ blocks on its connections: commands must wait for Redis rather than fail.
          connection: new Redis(config.redis.url, { maxRetriesPerRequest: null, lazyConnect: true }),
          prefix: bullPrefix(config.redis.prefix),
        }),
        BullModule.registerQueue(...OTP_QUEUES.map((name) => ({ name }))),
      ],
      providers: [OutboxRelay, OtpDelivery, OtpSmsProcessor, OtpVoiceProcessor, OtpEmailProcessor, WorkerLifecycle],
    };
  }
}
