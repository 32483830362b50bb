import { environmentVariables, loadConfig, type AppConfig } from '@latchkey/config';
import { currentRun, redisPrefixOf } from './run';

/** The keyring every test process uses, so a test can decrypt what the product encrypted (e.g. a code in an event). */
export const TEST_ENCRYPTION_KEYS = `test-2026:${Buffer.alloc(32, 7).toString('base64')},test-old:${Buffer.alloc(32, 9).toString('base64')}`;

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
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    ...overrides,
  };
}

export function testConfig(databaseUrl: string, label: string, overrides: Record<string, string> = {}): AppConfig {
  return loadConfig(testEnvironment(databaseUrl, label, overrides));
}
