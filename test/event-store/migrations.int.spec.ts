import { ensureDatabase, migrate, prepareDatabase } from '@latchkey/event-store';
import { Client } from 'pg';
import { dropDatabase, freshDatabaseName } from '@latchkey/testing';

describe('database preparation', () => {
  const created: string[] = [];
  afterAll(async () => {
    for (const name of created) await dropDatabase(name);
  });

  it('creates a missing database, and two or more processes migrating at once do not collide', async () => {
    const { url, name } = freshDatabaseName('migrate');
    created.push(name);
    expect(await ensureDatabase(url)).toBe(true);
    expect(await ensureDatabase(url)).toBe(false);

    const config = { database: { url, poolSize: 2 } };
    const results = await Promise.all([migrate(config), migrate(config), migrate(config)]);
    // Exactly one of them applied each migration; the others found nothing to do.
    const applied = results.flat();
    expect(new Set(applied).size).toBe(applied.length);
    expect(applied.length).toBeGreaterThan(0);

    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT name, count(*)::int AS n FROM schema_migrations GROUP BY name`);
      expect(rows.every((r) => r.n === 1)).toBe(true);
      expect(rows.map((r) => r.name).sort()).toEqual([...applied].sort());
      const { rows: tables } = await client.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
      );
      expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['events', 'subscriptions', 'unique_claims']));
    } finally {
      await client.end();
    }
  });

  it('lets several processes start together against a database that does not exist yet', async () => {
    // Concurrent CREATE DATABASEs: the losers fail with 42P04 or, racing on pg_database's unique
    // index, 23505; both mean another process created it.
    for (let round = 0; round < 3; round++) {
      const { url, name } = freshDatabaseName(`prepare_together_${round}`);
      created.push(name);
      const config = { database: { url, poolSize: 2 } };
      const results = await Promise.all(Array.from({ length: 6 }, () => prepareDatabase(config)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(results.flatMap((r) => r.applied).length).toBeGreaterThan(0);
    }
  });

  it('refuses to touch a database whose name lacks "test"', async () => {
    await expect(dropDatabase('latchkey')).rejects.toThrow(/test/);
  });
});
