import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { AppConfig } from '@latchkey/config';
import { Clock } from '@latchkey/event-store';
import { createHttpAdapter, createLogger } from '@latchkey/platform';
import { SecretBox } from '@latchkey/security';
import { Client } from 'pg';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { ApiModule } from '../../apps/api/src/api.module';
import { configureApiApp } from '../../apps/api/src/app';
import { TestClock } from './clock';
import { testConfig } from './config';
import { createTestDatabase, dropDatabase } from './database';

export interface TestApi {
  app: NestFastifyApplication;
  http: TestAgent;
  config: AppConfig;
  clock: TestClock;
  pg: Client;
  database: { url: string; name: string };
  close(): Promise<void>;
}

/** The real API in-process (Nest testing module, so the clock can be moved), on a database of its own. */
/**
 * `databaseUrl`: the URL the API is given for its (new) database, e.g. through a `TcpProxy` that
 * the test cuts; the test's own `pg` client always connects directly.
 */
export async function startApi(label: string, env: Record<string, string> = {}, options: { databaseUrl?: (url: string) => string } = {}): Promise<TestApi> {
  const database = await createTestDatabase(label);
  const config = testConfig(options.databaseUrl?.(database.url) ?? database.url, label, env);
  const clock = new TestClock();
  const moduleRef = await Test.createTestingModule({ imports: [ApiModule.forRoot(config)] })
    .overrideProvider(Clock)
    .useValue(clock)
    .compile();
  const logger = createLogger(config, 'api');
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), { bufferLogs: true, bodyParser: false });
  await configureApiApp(app, logger);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const pg = new Client({ connectionString: database.url });
  await pg.connect();
  return {
    app,
    http: request(app.getHttpServer()),
    config,
    clock,
    pg,
    database,
    close: async () => {
      await app.close();
      await pg.end();
      await dropDatabase(database.name);
    },
  };
}

/** argon2 operations the API has started so far, from its own /metrics. */
export async function hashesStarted(api: TestApi): Promise<number> {
  const res = await api.http.get('/metrics').expect(200);
  const match = /latchkey_password_hash_operations_total\{outcome="started"\} (\d+)/.exec(res.text);
  return match ? Number(match[1]) : 0;
}

/**
 * Whether subscription `name` has handled every event there is. Subscriptions read in
 * (transaction id, position) order, so the last event they handle is not always the one with the
 * highest position (two appends racing commit their positions out of transaction order): caught
 * up means no event after the checkpoint in *that* order. (Comparing with the highest position,
 * as these helpers once did, waited for good now and then: the flaky rebuild test.)
 */
export const CAUGHT_UP_SQL = `SELECT s.name IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM events e WHERE (e.transaction_id, e.global_position) > (s.last_transaction_id, s.last_position)
  ) AS "caughtUp"
  FROM (SELECT $1::text AS wanted) w LEFT JOIN subscriptions s ON s.name = w.wanted`;

/** Waits until the audit log (an async projection: a test that reads it runs `AsyncProjectionRunner`) has seen every event. */
export async function auditCaughtUp(api: TestApi): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await api.pg.query(CAUGHT_UP_SQL, ['projection:audit-log']);
    if (rows[0].caughtUp) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('audit projection did not catch up');
}

let sequence = 0;

/** A unique name for this process, so tests never collide on usernames. */
export function unique(prefix: string): string {
  return `${prefix}${process.pid}x${Date.now().toString(36)}x${sequence++}`;
}

export const GOOD_PASSWORD = 'correct horse battery staple';

export interface SignedUp {
  accountId: string;
  userId: string;
  email: string;
  username: string;
  password: string;
}

export async function signUp(http: TestAgent, overrides: Partial<{ accountName: string; email: string; username: string; password: string; phone: string; locale: string }> = {}): Promise<SignedUp> {
  const username = overrides.username ?? unique('user');
  const body = {
    accountName: overrides.accountName ?? `Account of ${username}`,
    email: overrides.email ?? `${username}@example.com`,
    username,
    password: overrides.password ?? GOOD_PASSWORD,
    ...(overrides.phone ? { phone: overrides.phone } : {}),
    ...(overrides.locale ? { locale: overrides.locale } : {}),
  };
  const res = await http.post('/auth/signup').send(body);
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...res.body, email: body.email, username: body.username, password: body.password };
}

/**
 * The code of a challenge as the worker would send it: the latest code event of the login
 * stream, opened with the test keyring (tests hold the same ENCRYPTION_KEYS as the product).
 */
export async function codeOf(api: TestApi, challengeId: string): Promise<string> {
  const { rows } = await api.pg.query(
    `SELECT data FROM events WHERE stream_id = $1 AND type IN ('login.otp_challenge_issued', 'login.otp_resent') ORDER BY version DESC LIMIT 1`,
    [`login-${challengeId}`],
  );
  if (rows.length === 0) throw new Error(`no code issued for challenge ${challengeId}`);
  const box = new SecretBox(api.config.encryptionKeys!);
  return (JSON.parse(box.decrypt(rows[0].data.sealed, challengeId)) as { code: string }).code;
}

/** Password login from a new device, then the code: the tokens and the device token. */
export async function loginWithCode(api: TestApi, user: { email: string; password: string }, options: { trustDevice?: boolean } = {}) {
  const first = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
  if (first.body.status !== 'otp_required') throw new Error(`expected otp_required, got ${JSON.stringify(first.body)}`);
  const code = await codeOf(api, first.body.challengeId);
  const verified = await api.http
    .post('/auth/otp/verify')
    .send({ challengeId: first.body.challengeId, code, ...(options.trustDevice === false ? { trustDevice: false } : {}) })
    .expect(200);
  return verified.body as { accessToken: string; refreshToken: string; deviceToken?: string; user: { id: string; accountId: string } };
}
