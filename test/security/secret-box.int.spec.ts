import { Client } from 'pg';
import { DEVELOPMENT_KEY_SETTING, SecretBox } from '@latchkey/security';
import { createTestDatabase, dropDatabase } from '@latchkey/testing';
import { RecordingLogger, startSecurityContext, type SecurityContext } from './security-context';

/** The warning an operator must see when running without ENCRYPTION_KEYS. */
const WARNING = 'ENCRYPTION_KEYS must be set in production';

const logger = new RecordingLogger();
const contexts: SecurityContext[] = [];
const databases: { url: string; name: string }[] = [];
const clients: Client[] = [];

afterAll(async () => {
  for (const ctx of contexts) await ctx.close();
  for (const pg of clients) await pg.end();
  for (const database of databases) await dropDatabase(database.name);
});

/** A database of its own, like a fresh installation. */
async function installation(): Promise<{ database: { url: string; name: string }; pg: Client }> {
  const database = await createTestDatabase('secret-box');
  const pg = new Client({ connectionString: database.url });
  await pg.connect();
  databases.push(database);
  clients.push(pg);
  return { database, pg };
}

async function start(database: { url: string }, env: Record<string, string> = {}): Promise<SecurityContext> {
  const ctx = await startSecurityContext(database, 'secret-box', { env, logger });
  contexts.push(ctx);
  return ctx;
}

describe('SecretBox keyring', () => {
  it('seals with the first key of ENCRYPTION_KEYS and stores no key of its own', async () => {
    const { database, pg } = await installation();
    const ctx = await start(database);
    const box = ctx.app.get(SecretBox);
    expect(box.encrypt('493817')).toMatch(/^v1\.test-2026\./);
    expect(logger.warnings(WARNING)).toEqual([]);
    expect((await pg.query(`SELECT name FROM security_settings`)).rows).toEqual([]);
  });

  it('without ENCRYPTION_KEYS, processes starting together share one generated key and each warns once', async () => {
    const { database, pg } = await installation();
    const [a, b] = await Promise.all([start(database, { ENCRYPTION_KEYS: '' }), start(database, { ENCRYPTION_KEYS: '' })]);
    expect(a.config.encryptionKeys).toBeUndefined();
    const boxA = a.app.get(SecretBox);
    const boxB = b.app.get(SecretBox);
    expect(boxA.currentKid).toBe('dev');
    expect(boxB.decrypt(boxA.encrypt('493817', 'ctx'), 'ctx')).toBe('493817');
    expect(boxA.verifyHmac('otp', 'x', boxB.hmac('otp', 'x'))).toBe(true);

    const { rows } = await pg.query(`SELECT name, length(decode(value, 'base64')) AS bytes FROM security_settings`);
    expect(rows).toEqual([{ name: DEVELOPMENT_KEY_SETTING, bytes: 32 }]);
    const warnings = logger.warnings(WARNING);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/development key/);

    // A later start (a restart) finds the same key: what was sealed before still opens.
    const sealed = boxA.encrypt('kept across restarts');
    const c = await start(database, { ENCRYPTION_KEYS: '' });
    expect(c.app.get(SecretBox).decrypt(sealed)).toBe('kept across restarts');
    expect(logger.warnings(WARNING)).toHaveLength(3);
  });

  it('refuses to start on a database whose signing key was sealed with a key ENCRYPTION_KEYS no longer holds', async () => {
    const { database } = await installation();
    await start(database, { ENCRYPTION_KEYS: '' });
    const error = await start(database).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(
      /^cannot open the private key of signing key [\w-]{43}: the secret is sealed under key "dev", which is not in the keyring \(ENCRYPTION_KEYS\); ENCRYPTION_KEYS must keep every key that sealed a signing key still in use$/,
    );
  });
});
