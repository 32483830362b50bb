import { Client } from 'pg';
import { currentRun, templateDatabaseName } from './run';

/** The guard every test database passes: a name without "test" is refused, whatever the URL says. */
export function assertTestDatabase(name: string): void {
  if (!/test/.test(name)) throw new Error(`refusing to use database "${name}": test databases must have "test" in their name`);
}

export function withDatabase(url: string, name: string): string {
  assertTestDatabase(name);
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function adminQuery(baseUrl: string, sql: string): Promise<void> {
  const u = new URL(baseUrl);
  u.pathname = '/postgres';
  const client = new Client({ connectionString: u.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

let counter = 0;

/**
 * A database of its own for one spec file, cloned from the run's migrated template (fast,
 * and each file starts from the same empty schema). Returns its URL and name.
 */
export async function createTestDatabase(label: string): Promise<{ url: string; name: string }> {
  const { runId, baseDatabaseUrl } = currentRun();
  const safe = label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 20);
  const name = `latchkey_test_${runId}_${safe}_${process.pid}_${counter++}`;
  assertTestDatabase(name);
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(baseDatabaseUrl, `CREATE DATABASE "${name}" TEMPLATE "${templateDatabaseName(runId)}"`);
      break;
    } catch (error) {
      // 55006: another clone is being made from the template at this very moment.
      if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
  return { url: withDatabase(baseDatabaseUrl, name), name };
}

/** A name for a database that does not exist yet (for start-up tests that create it). */
export function freshDatabaseName(label: string): { url: string; name: string } {
  const { runId, baseDatabaseUrl } = currentRun();
  const name = `latchkey_test_${runId}_${label}_${process.pid}_${counter++}`;
  return { url: withDatabase(baseDatabaseUrl, name), name };
}

export async function dropDatabase(name: string): Promise<void> {
  assertTestDatabase(name);
  const { baseDatabaseUrl } = currentRun();
  await adminQuery(baseDatabaseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
