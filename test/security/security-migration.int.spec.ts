import { Client } from 'pg';
import type { QueryRunner } from 'typeorm';
import { createTestDatabase, dropDatabase } from '@latchkey/testing';
import { Security1764201600000 } from '../../libs/event-store/src/migrations/1764201600000-security';

let database: { url: string; name: string };
let pg: Client;

beforeAll(async () => {
  database = await createTestDatabase('security-migration');
  pg = new Client({ connectionString: database.url });
  await pg.connect();
});

afterAll(async () => {
  await pg.end();
  await dropDatabase(database.name);
});

const insertKey = (kid: string, retired: boolean) =>
  pg.query(
    `INSERT INTO signing_keys (kid, algorithm, public_jwk, private_key, activated_at, retired_at)
     VALUES ($1, 'EdDSA', '{}', 'sealed', now(), CASE WHEN $2 THEN now() END)`,
    [kid, retired],
  );

describe('security tables', () => {
  it('let at most one signing key be active, whatever writes to the table', async () => {
    await insertKey('retired-1', true);
    await insertKey('active-1', false);
    await insertKey('retired-2', true);
    await expect(insertKey('active-2', false)).rejects.toThrow(/signing_keys_one_active_idx/);
  });

  it('are removed by the migration going down and come back going up', async () => {
    const runner = { query: (sql: string) => pg.query(sql) } as unknown as QueryRunner;
    const tables = async () =>
      (await pg.query(`SELECT table_name FROM information_schema.tables WHERE table_name IN ('signing_keys', 'security_settings') ORDER BY 1`)).rows.map(
        (r) => r.table_name,
      );
    expect(await tables()).toEqual(['security_settings', 'signing_keys']);
    await new Security1764201600000().down(runner);
    expect(await tables()).toEqual([]);
    await new Security1764201600000().up(runner);
    expect(await tables()).toEqual(['security_settings', 'signing_keys']);
  });
});
