import { Client } from 'pg';
import { createDataSource, type DatabaseSettings } from './data-source';

/** A stable advisory-lock key: two processes that start together migrate one after the other. */
const MIGRATION_LOCK = 'latchkey.migrations';

/**
 * The database a connection to `url` opens, as node-postgres decides it (it is what connects):
 * the URL's path, else PGDATABASE, else the user name (`postgres://localhost` with the login
 * user ana opens `ana`, like psql). Creating any other name would leave the apps' database missing.
 */
export function databaseName(url: string): string {
  const database = new Client({ connectionString: url }).database;
  if (!database) throw new Error('DATABASE_URL names no database and no user');
  return database;
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A CREATE DATABASE that lost to a process starting beside us: 42P04 when the other had
 * committed before we looked, 23505 (on pg_database's unique name index) when both inserted the
 * name and the other committed first. Either way the database is there.
 */
function createdMeanwhile(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '42P04' || code === '23505';
}

/** Creates the database named by the URL when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const probe = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await probe.connect();
    return false;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error; // 3D000: database does not exist
  } finally {
    await probe.end().catch(() => undefined);
  }
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const admin = new Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${quoteIdentifier(databaseName(url))}`);
    return true;
  } catch (error) {
    if (createdMeanwhile(error)) return false;
    throw error;
  } finally {
    await admin.end();
  }
}

/** Applies pending migrations while holding an advisory lock; returns the names applied. */
export async function migrate(config: DatabaseSettings): Promise<string[]> {
  // Two connections, whatever the configured pool: one holds the lock while the other migrates.
  const dataSource = createDataSource({ database: { ...config.database, poolSize: 2 } }, 'latchkey-migrate');
  await dataSource.initialize();
  const lock = dataSource.createQueryRunner();
  try {
    await lock.connect();
    await lock.query(`SELECT pg_advisory_lock(hashtextextended($1, 0))`, [MIGRATION_LOCK]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await lock.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [MIGRATION_LOCK]);
    }
  } finally {
    await lock.release();
    await dataSource.destroy();
  }
}

/** What `npm start` and both apps do first: create the database if missing, then migrate. */
export async function prepareDatabase(config: DatabaseSettings): Promise<{ created: boolean; applied: string[] }> {
  const created = await ensureDatabase(config.database.url);
  const applied = await migrate(config);
  return { created, applied };
}
