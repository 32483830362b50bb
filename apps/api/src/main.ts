import 'reflect-metadata';
import { loadConfigOrExit } from '@latchkey/config';
import { prepareDatabase } from '@latchkey/event-store';
import { exitWithStartupError, stopOnSignals } from '@latchkey/platform';
import { Logger } from 'nestjs-pino';
import { createApiApp } from './app';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  await prepareDatabase(config).catch((error: unknown) => exitWithStartupError('api', error));
  const app = await createApiApp(config);
  const logger = app.get(Logger);
  stopOnSignals(app, logger, config.http.shutdownTimeoutMs);
  await app.listen(config.http.port);
  logger.log(`API listening on port ${config.http.port}`, 'Bootstrap');
}

main().catch((error: unknown) => exitWithStartupError('api', error));
