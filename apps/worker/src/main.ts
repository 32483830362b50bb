import 'reflect-metadata';
import { loadConfigOrExit } from '@latchkey/config';
import { prepareDatabase } from '@latchkey/event-store';
import { exitWithStartupError, stopOnSignals } from '@latchkey/platform';
import { Logger } from 'nestjs-pino';
import { createWorkerApp } from './app';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  await prepareDatabase(config).catch((error: unknown) => exitWithStartupError('worker', error));
  const app = await createWorkerApp(config);
  const logger = app.get(Logger);
  stopOnSignals(app, logger, config.http.shutdownTimeoutMs);
  await app.listen(config.worker.port);
  logger.log(`worker health and metrics on port ${config.worker.port}`, 'Bootstrap');
}

main().catch((error: unknown) => exitWithStartupError('worker', error));
