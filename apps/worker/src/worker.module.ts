import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@latchkey/config';
import { PlatformModule } from '@latchkey/platform';
import { WorkerLifecycle } from './worker-lifecycle.service';

@Module({})
export class WorkerModule {
  /** `loops: false` wires everything without starting the subscriptions (for one-off scripts). */
  static forRoot(config: AppConfig, options: { loops?: boolean } = {}): DynamicModule {
    return {
      module: WorkerModule,
      imports: [PlatformModule.forRoot(config, { app: 'worker' })],
      providers: options.loops === false ? [] : [WorkerLifecycle],
    };
  }
}
