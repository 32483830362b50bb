import './register-paths';
import { environmentVariables, loadConfig, setEnvironmentVariable } from '@latchkey/config';
import { ensureDatabase, migrate } from '@latchkey/event-store';
import { randomBytes } from 'node:crypto';
import { assertTestDatabase, withDatabase } from './database';
import { BASE_URL_VARIABLE, RUN_VARIABLE, templateDatabaseName } from './run';

/** Creates and migrates this run's template database; spec files clone theirs from it. */
export default async function globalSetup(): Promise<void> {
  const env = environmentVariables();
  const base = loadConfig({ DATABASE_URL: env.DATABASE_URL }).database.url;
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const template = templateDatabaseName(runId);
  assertTestDatabase(template);
  const url = withDatabase(base, template);
  await ensureDatabase(url);
  await migrate({ database: { url, poolSize: 2 } });
  setEnvironmentVariable(RUN_VARIABLE, runId);
  setEnvironmentVariable(BASE_URL_VARIABLE, base);
}
