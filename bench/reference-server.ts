/**
 * The physical limits for bench:login, run as its own process like the API (Fastify + pg, no
 * framework, no event store library):
 *
 * - `POST /reference`: the least an HTTP request that changes state can cost on this machine —
 *   Fastify parses a small JSON body, one PostgreSQL transaction inserts one row (BEGIN; INSERT;
 *   COMMIT, durable), a JSON answer. Every refresh or verify does at least this much.
 * - `POST /ideal/refresh`, `POST /ideal/login` and `POST /ideal/verify`: an upper bound for a
 *   token refresh, a trusted-device password login and a right code (trusting the device) in one
 *   process with one durable transaction per request. Each gives the API's answer (a signed
 *   EdDSA access token, a new refresh token, the user) and writes the rows the API writes (an
 *   event per state change in a table shaped like `events`, the read models, the new refresh
 *   token kept for reuse detection), as tightly as it can be written: one round trip per step,
 *   the decisions in SQL, no validation or logging beyond what the answer needs, and only a
 *   subset of the API's checks (docs/benchmarks.md lists what is left out). They run on copies
 *   of the API's own read models (`POST /ideal/seed`, schema `ideal`, dropped again by
 *   `POST /ideal/drop`), so the rows, sizes and indexes are the API's.
 */
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import * as argon2 from 'argon2';
import Fastify from 'fastify';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { environmentVariables, loadConfig } from '@latchkey/config';
import { SecretBox } from '@latchkey/security';

const ACCESS_TTL_SECONDS = 900;
const REFRESH_TTL_MS = 30 * 24 * 3600 * 1000;
const ISSUER = 'http://localhost:3000';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const part = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** Copies of the read models a refresh and a login touch, and of the events table. */
const SEED = [
  'DROP SCHEMA IF EXISTS ideal CASCADE',
  'CREATE SCHEMA ideal',
  'CREATE TABLE ideal.events (LIKE public.events INCLUDING ALL)',
  ...['users', 'devices', 'sessions', 'refresh_tokens'].flatMap((t) => [`CREATE TABLE ideal.${t} (LIKE read.${t} INCLUDING ALL)`, `INSERT INTO ideal.${t} SELECT * FROM read.${t}`]),
  'INSERT INTO ideal.events SELECT * FROM public.events',
  'ANALYZE ideal.events, ideal.users, ideal.devices, ideal.sessions, ideal.refresh_tokens',
];

/** A refresh in one statement: rotate the current token, keep the new one, record the event, read the user. */
const REFRESH = `
  WITH s AS (
    UPDATE ideal.sessions s SET refresh_token_hash = $2, expires_at = $3, refreshed_at = now(), version = s.version + 1
      FROM ideal.refresh_tokens t
     WHERE t.token_hash = $1 AND s.id = t.session_id AND s.refresh_token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
       AND EXISTS (SELECT 1 FROM ideal.users u WHERE u.id = s.user_id AND u.enabled AND u.web_access)
    RETURNING s.id, s.user_id, s.version),
  u AS (SELECT u.* FROM ideal.users u JOIN s ON u.id = s.user_id),
  r AS (INSERT INTO ideal.refresh_tokens (token_hash, session_id, issued_at) SELECT $2, s.id, now() FROM s),
  e AS (INSERT INTO ideal.events (id, stream_id, stream_type, version, type, data, metadata, occurred_at)
        SELECT gen_random_uuid(), 'session-' || s.id, 'session', s.version, 'session.refreshed',
               jsonb_build_object('sessionId', s.id, 'userId', s.user_id, 'refreshTokenHash', $2::text, 'previousTokenHash', $1::text, 'expiresAt', $3::text),
               $4::jsonb, now()
          FROM s)
  SELECT s.id AS sid, u.id, u.account_id, u.email, u.username, u.locale, u.roles, u.web_access FROM s JOIN u ON true`;

/** What a login decides on, in one read: the users by login and the presented device. */
const LOGIN_READ = `
  SELECT u.id, u.account_id, u.email, u.username, u.locale, u.roles, u.web_access, u.enabled, u.password_hash, d.id AS device_id
    FROM ideal.users u
    LEFT JOIN ideal.devices d ON d.token_hash = $2 AND d.user_id = u.id AND d.revoked_at IS NULL AND d.expires_at > now()
   WHERE u.email_normalized = $1`;

/** A trusted-device login's writes in one statement: the login's two events, the session and its event, the device's use. */
const LOGIN_WRITE = `
  WITH s AS (INSERT INTO ideal.sessions (id, user_id, account_id, device_id, method, refresh_token_hash, expires_at, started_at, version, user_version, authenticated_at)
             VALUES ($1, $2, $3, $4, 'password', $5, $6, now(), 1, 1, now()) RETURNING id),
  r AS (INSERT INTO ideal.refresh_tokens (token_hash, session_id, issued_at) VALUES ($5, $1, now())),
  d AS (UPDATE ideal.devices SET last_used_at = now() WHERE id = $4),
  e AS (INSERT INTO ideal.events (id, stream_id, stream_type, version, type, data, metadata, occurred_at) VALUES
          (gen_random_uuid(), 'login-' || $7::text, 'login', 1, 'login.attempted', jsonb_build_object('method', 'password', 'login', $8::text, 'outcome', 'authenticated', 'userId', $2::uuid, 'accountId', $3::uuid), $9::jsonb, now()),
          (gen_random_uuid(), 'login-' || $7::text, 'login', 2, 'login.two_factor_skipped', jsonb_build_object('userId', $2::uuid, 'deviceId', $4::uuid, 'reason', 'trusted_device'), $9::jsonb, now()),
          (gen_random_uuid(), 'session-' || $1::text, 'session', 1, 'session.started',
           jsonb_build_object('sessionId', $1::uuid, 'userId', $2::uuid, 'accountId', $3::uuid, 'deviceId', $4::uuid, 'method', 'password', 'refreshTokenHash', $5::text, 'expiresAt', $6::text), $9::jsonb, now()))
  SELECT id FROM s`;

/**
 * A right code in one statement: the challenge's state from its login stream (the latest code,
 * not yet verified, attempts left, not expired), then the verification, the new device and the
 * session with their events and read models. Two verifies racing for one challenge both try
 * the login stream's next version; the unique (stream_id, version) lets one through.
 */
const VERIFY = `
  WITH c AS (
    SELECT max(e.version) AS version,
           (array_agg(e.data ORDER BY e.version DESC) FILTER (WHERE e.type IN ('login.otp_challenge_issued', 'login.otp_resent')))[1] AS challenge,
           count(*) FILTER (WHERE e.type = 'login.otp_verification_failed') AS failures,
           coalesce(bool_or(e.type = 'login.otp_verified'), false) AS verified
      FROM ideal.events e WHERE e.stream_id = 'login-' || $1),
  ok AS (SELECT c.version, (c.challenge->>'userId')::uuid AS user_id FROM c
          WHERE c.challenge->>'codeHash' = $2 AND NOT c.verified AND c.failures < 5 AND (c.challenge->>'expiresAt')::timestamptz > now()),
  u AS (SELECT u.*, ok.version AS login_version FROM ideal.users u JOIN ok ON u.id = ok.user_id WHERE u.enabled AND u.web_access),
  dv AS (INSERT INTO ideal.devices (id, user_id, account_id, token_hash, name, user_agent, ip, authorized_at, last_used_at, expires_at)
         SELECT $3, u.id, u.account_id, $4, NULL, 'autocannon', '127.0.0.1', now(), now(), $7 FROM u),
  s AS (INSERT INTO ideal.sessions (id, user_id, account_id, device_id, method, refresh_token_hash, expires_at, started_at, version, user_version, authenticated_at)
        SELECT $5, u.id, u.account_id, $3, 'password', $6, $8, now(), 1, u.version, now() FROM u),
  r AS (INSERT INTO ideal.refresh_tokens (token_hash, session_id, issued_at) SELECT $6, $5, now() FROM u),
  p AS (UPDATE ideal.users x SET email_proven_at = now() FROM u WHERE x.id = u.id AND x.email_proven_at IS NULL),
  e AS (INSERT INTO ideal.events (id, stream_id, stream_type, version, type, data, metadata, occurred_at)
        SELECT gen_random_uuid(), v.stream_id, v.stream_type, v.version, v.type, v.data, $9::jsonb, now()
          FROM u CROSS JOIN LATERAL (VALUES
            ('login-' || $1, 'login', u.login_version + 1, 'login.otp_verified', jsonb_build_object('loginId', $1::uuid, 'userId', u.id, 'trustDevice', true, 'channel', 'email')),
            ('device-' || $3::text, 'device', 1, 'device.authorized',
             jsonb_build_object('deviceId', $3::uuid, 'userId', u.id, 'accountId', u.account_id, 'tokenHash', $4::text, 'name', NULL, 'userAgent', 'autocannon',
                                'ip', '127.0.0.1', 'loginId', $1::uuid, 'expiresAt', $7::text)),
            ('session-' || $5::text, 'session', 1, 'session.started',
             jsonb_build_object('sessionId', $5::uuid, 'userId', u.id, 'accountId', u.account_id, 'deviceId', $3::uuid, 'method', 'password',
                                'refreshTokenHash', $6::text, 'expiresAt', $8::text, 'userVersion', u.version))
          ) AS v(stream_id, stream_type, version, type, data))
  SELECT u.id, u.account_id, u.email, u.username, u.locale, u.roles, u.web_access FROM u`;

async function main(): Promise<void> {
  const env = environmentVariables();
  const pool = new Pool({ connectionString: env.REFERENCE_DATABASE_URL, max: 10 });
  const redis = env.REFERENCE_REDIS_URL ? new Redis(env.REFERENCE_REDIS_URL) : undefined;
  const redisPrefix = `latchkey-bench-ideal-${randomUUID().slice(0, 8)}:`;
  const box = env.REFERENCE_ENCRYPTION_KEYS ? new SecretBox(loadConfig({ ENCRYPTION_KEYS: env.REFERENCE_ENCRYPTION_KEYS }).encryptionKeys!) : undefined;
  const { privateKey } = generateKeyPairSync('ed25519');
  const kid = randomUUID();
  let metadata = '{}';
  await pool.query('CREATE TABLE IF NOT EXISTS bench_reference (id bigserial PRIMARY KEY, data jsonb NOT NULL, at timestamptz NOT NULL DEFAULT now())');

  const authenticated = (user: Record<string, unknown>, sessionId: string, refreshToken: string) => {
    const iat = Math.floor(Date.now() / 1000);
    const claims = { sub: user.id, acc: user.account_id, roles: user.roles, sid: sessionId, iss: ISSUER, iat, exp: iat + ACCESS_TTL_SECONDS };
    const input = `${part({ kid, alg: 'EdDSA', typ: 'JWT' })}.${part(claims)}`;
    const accessToken = `${input}.${sign(null, Buffer.from(input, 'ascii'), privateKey).toString('base64url')}`;
    return {
      status: 'authenticated',
      accessToken,
      tokenType: 'Bearer',
      expiresIn: ACCESS_TTL_SECONDS,
      refreshToken,
      user: { id: user.id, accountId: user.account_id, email: user.email, username: user.username, locale: user.locale, roles: user.roles, webAccess: user.web_access },
    };
  };

  const app = Fastify({ logger: false });
  app.post('/reference', async (request) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query('INSERT INTO bench_reference (data) VALUES ($1) RETURNING id', [JSON.stringify(request.body)]);
      await client.query('COMMIT');
      return { id: rows[0].id };
    } finally {
      client.release();
    }
  });

  app.post('/ideal/seed', async () => {
    for (const statement of SEED) await pool.query(statement);
    const { rows } = await pool.query(`SELECT metadata FROM public.events WHERE type = 'session.started' ORDER BY global_position DESC LIMIT 1`);
    metadata = JSON.stringify(rows[0]?.metadata ?? {});
    return { ok: true };
  });

  app.post('/ideal/drop', async () => {
    await pool.query('DROP SCHEMA IF EXISTS ideal CASCADE');
    return { ok: true };
  });

  app.post('/ideal/refresh', async (request, reply) => {
    const { refreshToken } = request.body as { refreshToken?: unknown };
    if (typeof refreshToken !== 'string' || refreshToken.length > 200) return reply.code(400).send({ type: '/problems/validation' });
    const fresh = randomBytes(32).toString('base64url');
    const { rows } = await pool.query({
      name: 'ideal-refresh',
      text: REFRESH,
      values: [sha256(refreshToken), sha256(fresh), new Date(Date.now() + REFRESH_TTL_MS).toISOString(), metadata],
    });
    if (rows.length === 0) return reply.code(401).send({ type: '/problems/invalid-token' });
    return authenticated(rows[0], rows[0].sid, fresh);
  });

  app.post('/ideal/login', async (request, reply) => {
    const { login, password, deviceToken } = request.body as { login?: unknown; password?: unknown; deviceToken?: unknown };
    if (typeof login !== 'string' || typeof password !== 'string' || typeof deviceToken !== 'string') return reply.code(400).send({ type: '/problems/validation' });
    const normalized = login.toLowerCase();
    // The throttle: one round trip reading the login's and the IP's failure counts.
    const [loginFailures, ipFailures] = (await redis!.mget(`${redisPrefix}login:${sha256(normalized)}`, `${redisPrefix}ip:${request.ip}`)).map(Number);
    if (loginFailures >= 10 || ipFailures >= 1_000_000) return reply.code(429).send({ type: '/problems/rate-limited' });
    const { rows } = await pool.query({ name: 'ideal-login-read', text: LOGIN_READ, values: [normalized, sha256(deviceToken)] });
    const user = rows[0];
    if (!user?.password_hash || !(await argon2.verify(user.password_hash, password))) return reply.code(401).send({ type: '/problems/invalid-credentials' });
    if (!user.enabled || !user.web_access || !user.device_id) return reply.code(403).send({ type: '/problems/forbidden' });
    const sessionId = randomUUID();
    const fresh = randomBytes(32).toString('base64url');
    await pool.query({
      name: 'ideal-login-write',
      text: LOGIN_WRITE,
      values: [sessionId, user.id, user.account_id, user.device_id, sha256(fresh), new Date(Date.now() + REFRESH_TTL_MS).toISOString(), randomUUID(), normalized, metadata],
    });
    return authenticated(user, sessionId, fresh);
  });

  app.post('/ideal/verify', async (request, reply) => {
    const { challengeId, code } = request.body as { challengeId?: unknown; code?: unknown };
    if (typeof challengeId !== 'string' || !/^[0-9a-f-]{36}$/.test(challengeId) || typeof code !== 'string' || !/^\d{6}$/.test(code)) {
      return reply.code(400).send({ type: '/problems/validation' });
    }
    const deviceId = randomUUID();
    const deviceToken = randomBytes(32).toString('base64url');
    const sessionId = randomUUID();
    const fresh = randomBytes(32).toString('base64url');
    const now = Date.now();
    const { rows } = await pool.query({
      name: 'ideal-verify',
      text: VERIFY,
      values: [
        challengeId,
        box!.hmac('otp', `${challengeId}:${code}`),
        deviceId,
        sha256(deviceToken),
        sessionId,
        sha256(fresh),
        new Date(now + 90 * 24 * 3600 * 1000).toISOString(),
        new Date(now + REFRESH_TTL_MS).toISOString(),
        metadata,
      ],
    });
    if (rows.length === 0) return reply.code(400).send({ type: '/problems/invalid-otp' });
    reply.header('set-cookie', `lk_device=${deviceToken}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=${90 * 24 * 3600}`);
    return { ...authenticated(rows[0], sessionId, fresh), deviceToken };
  });

  await app.listen({ port: Number(env.REFERENCE_PORT), host: '127.0.0.1' });
  process.on('SIGTERM', () => void app.close().then(() => Promise.all([pool.end(), redis?.quit()])).then(() => process.exit(0)));
}

void main();
