import { environmentVariables } from '@latchkey/config';

/** Set by the global set-up; every worker and spawned process of this run shares it. */
export const RUN_VARIABLE = 'LATCHKEY_TEST_RUN';
export const BASE_URL_VARIABLE = 'LATCHKEY_TEST_DATABASE_URL';

export function currentRun(): { runId: string; baseDatabaseUrl: string } {
  const env = environmentVariables();
  const runId = env[RUN_VARIABLE];
  const baseDatabaseUrl = env[BASE_URL_VARIABLE];
  if (!runId || !baseDatabaseUrl) throw new Error('the jest global set-up did not run (use `npm test` or `npx jest`)');
  return { runId, baseDatabaseUrl };
}

export function templateDatabaseName(runId: string): string {
  return `latchkey_test_${runId}_template`;
}

export function redisPrefixOf(runId: string, label = ''): string {
  return `latchkey-test-${runId}:${label ? `${label}:` : ''}`;
}
