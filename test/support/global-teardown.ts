import './register-paths';
import { environmentVariables, loadConfig } from '@latchkey/config';
import Redis from 'ioredis';
import { Client } from 'pg';
import { assertTestDatabase } from './database';
import { currentRun, redisPrefixOf } from './run';

/** Drops every database of this run and deletes its Redis keys. */
export default async function globalTeardown(): Promise<void> {
  const { runId, baseDatabaseUrl } = currentRun();
  const admin = new URL(baseDatabaseUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
      `latchkey\\_test\\_${runId}\\_%`,
    ]);
    for (const { datname } of rows) {
      assertTestDatabase(datname);
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
  const redis = new Redis(loadConfig({ REDIS_URL: environmentVariables().REDIS_URL }).redis.url, { lazyConnect: true });
  try {
    await redis.connect();
    const pattern = `${redisPrefixOf(runId)}*`;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
