import { Client } from 'pg';
import { AccessTokens, decodeJws } from '@latchkey/security';
import { builtEntry, createTestDatabase, dropDatabase, freePort, runNode, testEnvironment } from '@latchkey/testing';
import { startSecurityContext, type SecurityContext } from './security-context';

let database: { url: string; name: string };
let running: SecurityContext;

beforeAll(async () => {
  database = await createTestDatabase('keys-rotate');
  running = await startSecurityContext(database, 'keys-rotate', { security: { signingKeysRefreshSeconds: 1 } });
});

afterAll(async () => {
  await running?.close();
  await dropDatabase(database.name);
});

const claims = { sub: 'user-1', acc: 'account-1', roles: ['member'], sid: 'session-1' };
const kidOf = (token: string) => decodeJws(token).header.kid;

/** `npm run keys:rotate` runs this built entry point. */
function keysRotate(overrides: Record<string, string> = {}) {
  return runNode(builtEntry('scripts/keys-rotate.js'), testEnvironment(database.url, 'keys-rotate', overrides));
}

describe('npm run keys:rotate', () => {
  it('prints the new key id, and a running process switches to it while its old tokens keep verifying', async () => {
    const tokens = running.app.get(AccessTokens);
    const before = tokens.sign(claims);

    const rotation = keysRotate();
    const { code } = await rotation.exited;
    expect(rotation.stderr()).toBe('');
    expect(code).toBe(0);
    const kid = /^new signing key: ([\w-]{43})$/m.exec(rotation.stdout())?.[1];
    expect(kid).toBeDefined();
    expect(rotation.stdout()).toContain(`retired signing key: ${kidOf(before)}`);

    const pg = new Client({ connectionString: database.url });
    await pg.connect();
    const { rows } = await pg.query(`SELECT kid FROM signing_keys WHERE retired_at IS NULL`);
    await pg.end();
    expect(rows).toEqual([{ kid }]);

    const deadline = Date.now() + 5000;
    while (kidOf(tokens.sign(claims)) !== kid && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(kidOf(tokens.sign(claims))).toBe(kid);
    expect((await tokens.verify(before)).sub).toBe('user-1');
  });

  it('prints only its result on stdout and logs warnings as JSON lines on stderr, like the apps', async () => {
    // Redis out of reach: the platform's Redis connection warns, and the rotation (PostgreSQL only) still succeeds.
    const rotation = keysRotate({ LOG_LEVEL: 'info', REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    const { code } = await rotation.exited;
    expect(code).toBe(0);
    expect(rotation.stdout().trimEnd().split('\n')).toEqual([expect.stringMatching(/^new signing key: [\w-]{43}$/), expect.stringMatching(/^retired signing key: /)]);
    const lines = rotation.stderr().trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line) as { level: number; name: string })).toContainEqual(
      expect.objectContaining({ level: 40, name: 'latchkey-keys-rotate', context: 'Redis', msg: expect.stringContaining('Redis unreachable') }),
    );
    // Nest's start-up lines (info) stay out of a command's output.
    expect(rotation.stderr()).not.toContain('InstanceLoader');
  });
});
