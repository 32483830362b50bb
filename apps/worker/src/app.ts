import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AppConfig } from '@latchkey/config';
import { Logger } from 'nestjs-pino';
import { WorkerModule } from './worker.module';

/** The worker: no public HTTP, only /health and /metrics on WORKER_PORT. */
export async function createWorkerApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(WorkerModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  return app;
}
