import { environmentVariables, loadConfig, type AppConfig } from '@latchkey/config';
import { currentRun, redisPrefixOf } from './run';

/** The environment a test app or process runs with: its own database and Redis prefix, quiet logs. */
export function testEnvironment(databaseUrl: string, label: string, overrides: Record<string, string> = {}): Record<string, string> {
  const { runId } = currentRun();
  const env = environmentVariables();
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '5',
    REDIS_URL: env.REDIS_URL ?? 'redis://localhost:6379',
    REDIS_PREFIX: redisPrefixOf(runId, label),
    PORT: '0',
    WORKER_PORT: '0',
    ...overrides,
  };
}

export function testConfig(databaseUrl: string, label: string, overrides: Record<string, string> = {}): AppConfig {
  return loadConfig(testEnvironment(databaseUrl, label, overrides));
}
