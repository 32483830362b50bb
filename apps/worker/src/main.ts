import 'reflect-metadata';
import { loadConfigOrExit } from '@latchkey/config';
import { prepareDatabase } from '@latchkey/event-store';
import { PinoNestLogger, exitWithStartupError, stopOnSignals } from '@latchkey/platform';
import { createWorkerApp } from './app';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  await prepareDatabase(config).catch((error: unknown) => exitWithStartupError('worker', error));
  const { app, logger } = await createWorkerApp(config);
  stopOnSignals(app, new PinoNestLogger(logger), config.http.shutdownTimeoutMs);
  await app.listen({ port: config.worker.port, host: '0.0.0.0' });
  logger.info({ context: 'Bootstrap' }, `worker health and metrics on port ${config.worker.port}`);
}

main().catch((error: unknown) => exitWithStartupError('worker', error));
