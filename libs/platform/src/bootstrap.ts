import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { configurationWarnings, type AppConfig } from '@latchkey/config';
import type { Logger as PinoLogger } from 'pino';
import { createHttpAdapter, installHttpHooks } from './http/fastify';
import { PinoNestLogger, createLogger } from './logging';
import { MetricsService } from './metrics/metrics.service';

export interface HttpApp {
  app: NestFastifyApplication;
  logger: PinoLogger;
}

/** A Nest application on Fastify with the shared logger and HTTP hooks (both apps start this way). */
export async function createHttpApp(module: DynamicModule, config: AppConfig, name: 'api' | 'worker'): Promise<HttpApp> {
  const logger = createLogger(config, name);
  for (const warning of configurationWarnings(config)) logger.warn({ context: 'Configuration' }, warning);
  const app = await NestFactory.create<NestFastifyApplication>(module, createHttpAdapter(config), {
    bufferLogs: true,
    // Bodies are parsed by our own JSON parser (installHttpHooks), not Nest's.
    bodyParser: false,
    logger: new PinoNestLogger(logger),
  });
  configureHttpApp(app, logger);
  return { app, logger };
}

/** The part tests reuse on an application they build themselves (to override providers). */
export function configureHttpApp(app: INestApplication, logger: PinoLogger): void {
  app.useLogger(new PinoNestLogger(logger));
  const instance = (app as NestFastifyApplication).getHttpAdapter().getInstance();
  installHttpHooks(instance, app.get(MetricsService), logger);
}
