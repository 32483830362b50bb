import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@latchkey/config';
import { createHttpApp } from '@latchkey/platform';
import type { Logger as PinoLogger } from 'pino';
import { WorkerModule } from './worker.module';

/** The worker: no public HTTP, only /health and /metrics on WORKER_PORT. */
export async function createWorkerApp(config: AppConfig): Promise<{ app: NestFastifyApplication; logger: PinoLogger }> {
  return createHttpApp(WorkerModule.forRoot(config), config, 'worker');
}
