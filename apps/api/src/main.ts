import 'reflect-metadata';
import { loadConfigOrExit } from '@latchkey/config';
import { prepareDatabase } from '@latchkey/event-store';
import { PinoNestLogger, exitWithStartupError, stopOnSignals } from '@latchkey/platform';
import { createApiApp } from './app';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  await prepareDatabase(config).catch((error: unknown) => exitWithStartupError('api', error));
  const { app, logger } = await createApiApp(config);
  stopOnSignals(app, new PinoNestLogger(logger), config.http.shutdownTimeoutMs);
  await app.listen({ port: config.http.port, host: '0.0.0.0' });
  logger.info({ context: 'Bootstrap' }, `API listening on port ${config.http.port}`);
}

main().catch((error: unknown) => exitWithStartupError('api', error));
