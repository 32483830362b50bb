import { Client } from 'pg';
import { AccessTokens, InvalidAccessTokenError, SigningKeys, decodeJws, passportJwtVerifier, type VerifiedClaims } from '@latchkey/security';
import { createTestDatabase, dropDatabase } from '@latchkey/testing';
import { MovableClock, startSecurityContext, type SecurityContext } from './security-context';

let database: { url: string; name: string };
let pg: Client;
let a: SecurityContext;
let b: SecurityContext;
let c: SecurityContext;
const clock = new MovableClock(new Date('2026-03-01T12:00:00Z'));
const claims = { sub: 'user-1', acc: 'account-1', roles: ['account_admin'], sid: 'session-1' };

const tokensOf = (ctx: SecurityContext) => ctx.app.get(AccessTokens);
const kidOf = (token: string) => decodeJws(token).header.kid;

async function refusal(ctx: SecurityContext, token: string): Promise<string> {
  const error = await tokensOf(ctx)
    .verify(token)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(InvalidAccessTokenError);
  return (error as InvalidAccessTokenError).reason;
}

beforeAll(async () => {
  database = await createTestDatabase('access-tokens');
  pg = new Client({ connectionString: database.url });
  await pg.connect();
  // Three processes starting at the same moment on a fresh database; A and B re-read the
  // keys every 60 s (the default), C every second.
  [a, b, c] = await Promise.all([
    startSecurityContext(database, 'tokens', { clock }),
    startSecurityContext(database, 'tokens', { clock }),
    startSecurityContext(database, 'tokens', { clock, security: { signingKeysRefreshSeconds: 1 } }),
  ]);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await c?.close();
  await pg.end();
  await dropDatabase(database.name);
});

describe('access tokens', () => {
  it('creates exactly one signing key when processes start together, its private half sealed', async () => {
    const { rows } = await pg.query(`SELECT kid, algorithm, public_jwk, private_key, retired_at FROM signing_keys`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ algorithm: 'EdDSA', public_jwk: { kty: 'OKP', crv: 'Ed25519' }, retired_at: null });
    expect(rows[0].private_key).toMatch(/^v1\.test-2026\./);
    expect(rows[0].private_key).not.toContain('PRIVATE KEY');
    expect(kidOf(tokensOf(a).sign(claims))).toBe(rows[0].kid);
    expect(kidOf(tokensOf(b).sign(claims))).toBe(rows[0].kid);
    expect(kidOf(tokensOf(c).sign(claims))).toBe(rows[0].kid);
  });

  it('signs EdDSA JWTs that any process verifies, with iss, iat and exp from the clock and configuration', async () => {
    const token = tokensOf(a).sign(claims);
    expect(decodeJws(token).header).toMatchObject({ alg: 'EdDSA', typ: 'JWT' });
    const verified = await tokensOf(b).verify(token);
    const iat = Math.floor(clock.now().getTime() / 1000);
    expect(verified).toEqual({ ...claims, iss: a.config.publicApiUrl, iat, exp: iat + a.config.tokens.accessTtlSeconds });
    const short = await tokensOf(b).verify(tokensOf(a).sign(claims, 60));
    expect(short.exp - short.iat).toBe(60);
    expect(() => tokensOf(a).sign(claims, a.config.tokens.accessTtlSeconds + 1)).toThrow(RangeError);
    // A caller cannot stretch a token's life through the claims.
    const stretched = await tokensOf(b).verify(tokensOf(a).sign({ ...claims, exp: iat + 10 ** 9, iss: 'https://elsewhere' }));
    expect(stretched).toMatchObject({ exp: iat + a.config.tokens.accessTtlSeconds, iss: a.config.publicApiUrl });
  });

  it('publishes the public key as a JWKS document, without private material', () => {
    const jwks = tokensOf(a).jwks();
    expect(jwks.keys).toEqual([{ kty: 'OKP', crv: 'Ed25519', x: expect.stringMatching(/^[\w-]{43}$/), kid: kidOf(tokensOf(a).sign(claims)), alg: 'EdDSA', use: 'sig' }]);
    expect(JSON.stringify(jwks)).not.toMatch(/"d"/);
  });

  it('refuses expired tokens from the second the clock reaches exp (no leeway for expiry)', async () => {
    const token = tokensOf(a).sign(claims, 60);
    clock.advance(59);
    expect((await tokensOf(b).verify(token)).sub).toBe('user-1');
    clock.advance(1);
    expect(await refusal(b, token)).toBe('expired');
  });

  it('rotates: old tokens keep verifying everywhere, JWKS lists both keys, the other process picks up the new key', async () => {
    const before = tokensOf(a).sign(claims);
    const oldKid = kidOf(before);

    const { kid, retiredKid } = await tokensOf(a).rotate();
    expect(retiredKid).toBe(oldKid);
    expect(kid).not.toBe(oldKid);
    const { rows } = await pg.query(`SELECT kid, retired_at IS NOT NULL AS retired FROM signing_keys ORDER BY created_at, retired_at`);
    expect(rows).toEqual(expect.arrayContaining([{ kid: oldKid, retired: true }, { kid, retired: false }]));

    const after = tokensOf(a).sign(claims);
    expect(kidOf(after)).toBe(kid);
    expect((await tokensOf(a).verify(before)).sid).toBe('session-1');
    expect(tokensOf(a).jwks().keys.map((k) => k.kid)).toEqual([kid, oldKid]);

    // B re-reads the table only every 60 s, but a token naming the new key makes it look at once.
    expect(kidOf(tokensOf(b).sign(claims))).toBe(oldKid);
    expect((await tokensOf(b).verify(after)).sub).toBe('user-1');
    expect((await tokensOf(b).verify(before)).sub).toBe('user-1');
    expect(tokensOf(b).jwks().keys.map((k) => k.kid)).toEqual([kid, oldKid]);
    expect(kidOf(tokensOf(b).sign(claims))).toBe(kid);
  });

  it('propagates a rotation to another process by its periodic refresh, without any token', async () => {
    const { kid } = await tokensOf(a).rotate();
    expect(kidOf(tokensOf(c).sign(claims))).not.toBe(kid);
    const deadline = Date.now() + 5000;
    while (kidOf(tokensOf(c).sign(claims)) !== kid && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(kidOf(tokensOf(c).sign(claims))).toBe(kid);
    expect(tokensOf(c).jwks().keys[0].kid).toBe(kid);
  });

  it('drops a retired key from the JWKS, and refuses its tokens, once no token it signed can still be valid', async () => {
    const retention = a.app.get(SigningKeys).retentionSeconds;
    expect(retention).toBe(a.config.tokens.accessTtlSeconds + 60 + 30);
    const old = tokensOf(a).sign(claims);
    const { kid } = await tokensOf(a).rotate();
    expect(tokensOf(a).jwks().keys.map((k) => k.kid)).toContain(kidOf(old));

    clock.advance(retention + 1);
    expect(tokensOf(a).jwks().keys.map((k) => k.kid)).toEqual([kid]);
    expect(await refusal(a, old)).toBe('unknown_key');
  });

  it('refuses a token whose key this database does not have, and re-reads the table for unknown keys at most every 5 s', async () => {
    const strangerDatabase = await createTestDatabase('access-tokens-other');
    const stranger = await startSecurityContext(strangerDatabase, 'tokens-other', { clock });
    try {
      const foreign = tokensOf(stranger).sign(claims);
      expect(await refusal(a, foreign)).toBe('unknown_key');

      // The key appears in this database (as a retired key) right after A looked for it.
      const strangerPg = new Client({ connectionString: strangerDatabase.url });
      await strangerPg.connect();
      const { rows } = await strangerPg.query(`SELECT kid, algorithm, public_jwk, private_key FROM signing_keys`);
      await strangerPg.end();
      await pg.query(
        `INSERT INTO signing_keys (kid, algorithm, public_jwk, private_key, created_at, activated_at, retired_at) VALUES ($1, $2, $3, $4, $5, $5, $5)`,
        [rows[0].kid, rows[0].algorithm, rows[0].public_jwk, rows[0].private_key, clock.now()],
      );
      // A does not look again so soon (forged key ids cannot hammer the database) …
      expect(await refusal(a, foreign)).toBe('unknown_key');
      // … while a process that has not been looking in vain finds it.
      expect((await tokensOf(b).verify(foreign)).sub).toBe('user-1');
    } finally {
      await stranger.close();
      await dropDatabase(strangerDatabase.name);
    }
  });

  it('plugs into passport-jwt as its JwtVerifier', async () => {
    const verifier = passportJwtVerifier(tokensOf(b));
    const call = (token: string) =>
      new Promise<{ error: Error | null; payload?: VerifiedClaims }>((resolve) =>
        verifier(token, 'ignored', {}, (error, payload) => resolve({ error, payload })),
      );
    const good = await call(tokensOf(a).sign(claims));
    expect(good.error).toBeNull();
    expect(good.payload?.sub).toBe('user-1');
    const bad = await call('not.a.token');
    expect(bad.error).toBeInstanceOf(InvalidAccessTokenError);
    expect(bad.payload).toBeUndefined();
  });
});
