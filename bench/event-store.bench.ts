/**
 * `npm run bench:event-store`: how fast the event store appends, reads and rebuilds on this
 * machine, each figure set against a reference (the raw PostgreSQL rate of the same insert,
 * or a fixed target). It works on a database of its own (`latchkey_bench_<random>`), which it
 * creates, migrates and drops at the end, also when a phase fails or the run is interrupted.
 *
 * Phases, in order:
 *  1. fill 200,000 events with SQL in 11 transactions: 20,000 account registrations, then 90,000
 *     logins, each a stream of its own (`login-<uuid>`) with `bench.login_started` and, one
 *     transaction later, `bench.login_succeeded`; copy them into `bench_raw_events` (LIKE events
 *     INCLUDING ALL) so that both tables have the same size, then VACUUM ANALYZE both;
 *  2. read-all: `EventStore.readAll` from START to the end in batches of 5,000 (3 passes, median);
 *  3. rebuild: `ProjectionRebuilder.rebuild()` with the inline `bench-accounts` and the async
 *     `bench-login-history` projections registered (2 runs, median), timing each projection's
 *     own SQL (the two are written concurrently, on two connections);
 *  4. appends: 8 concurrent writers, each appending one event per transaction to new streams of
 *     its own (expectedVersion 0) through `EventStore.append`, against 8 plain `pg` clients doing
 *     BEGIN; INSERT one row into `bench_raw_events`; COMMIT with the same payloads; 2 rounds in
 *     alternating order, rate = all appends / all time. Then, for information, appends whose
 *     event an inline projection handles.
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { environmentVariables, loadConfig, type AppConfig } from '@latchkey/config';
import {
  EventStore,
  EventStoreModule,
  ProjectionRebuilder,
  REBUILD_BATCH_SIZE,
  START,
  checkpointOf,
  defineEvent,
  ensureDatabase,
  migrate,
  type Checkpoint,
  type EventMetadata,
  type Projection,
  type Sql,
  type StoredEvent,
} from '@latchkey/event-store';
import { PlatformModule } from '@latchkey/platform';
import type { INestApplicationContext } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { cpus, totalmem } from 'node:os';
import { Client } from 'pg';
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Sizes and targets

const WRITERS = 8;
const APPENDS_PER_WRITER = 2500;
const APPEND_ROUNDS = 2;
const WARMUP_PER_WRITER = 100;
const INLINE_APPENDS_PER_WRITER = 500;
const ACCOUNTS = 20_000;
const LOGIN_BATCHES = 9;
const LOGINS_PER_BATCH = 10_000; // events = ACCOUNTS + 2 * LOGIN_BATCHES * LOGINS_PER_BATCH = 200,000
const LOGINS = LOGIN_BATCHES * LOGINS_PER_BATCH;
const TOTAL_EVENTS = ACCOUNTS + 2 * LOGINS;
const READ_BATCH = 5000;
/** The rebuild's own default unless `BENCH_REBUILD_BATCH` says otherwise. */
const tuning = environmentVariables();
const REBUILD_BATCH = Number(tuning.BENCH_REBUILD_BATCH ?? REBUILD_BATCH_SIZE);
/** For tuning: batch sizes whose rebuilds are compared in alternating rounds at the end (`5000,20000`). */
const REBUILD_COMPARE = (tuning.BENCH_REBUILD_COMPARE ?? '').split(',').filter(Boolean).map(Number);
/** For tuning: rebuilds with and without the query-only indexes deferred, in alternating rounds at the end. */
const REBUILD_COMPARE_INDEXES = tuning.BENCH_REBUILD_COMPARE_INDEXES === '1';
/** For tuning: a file to write the bench process's CPU profile of the measured rebuild runs to (`.cpuprofile`). */
const REBUILD_PROFILE = tuning.BENCH_REBUILD_PROFILE;
const READ_PASSES = 3;
const REBUILD_RUNS = 2;
const APPEND_RATIO_TARGET = 0.5;
const READ_TARGET = 50_000;
const REBUILD_TARGET = 50_000;

// ---------------------------------------------------------------------------------------------
// A small auth-like domain: accounts register, logins start (one stream per attempt) and succeed.

const METHODS = ['password', 'google', 'github', 'saml'] as const;

export class AccountRegistered extends defineEvent(
  'bench.account_registered',
  z.object({ email: z.string().min(3), displayName: z.string().min(1), passwordHash: z.string() }),
  { secretFields: ['passwordHash'] },
) {}

export class LoginStarted extends defineEvent(
  'bench.login_started',
  z.object({
    accountId: z.string(),
    method: z.enum(METHODS),
    identifier: z.string(),
    deviceId: z.string(),
    ip: z.string(),
    userAgent: z.string(),
  }),
) {}

export class LoginSucceeded extends defineEvent(
  'bench.login_succeeded',
  z.object({
    accountId: z.string(),
    method: z.enum(METHODS),
    deviceId: z.string(),
    ip: z.string(),
    userAgent: z.string(),
    newDevice: z.boolean(),
  }),
) {}

const BENCH_EVENTS = [AccountRegistered, LoginStarted, LoginSucceeded];

type AccountRegisteredData = z.infer<typeof AccountRegistered.schema>;
type LoginSucceededData = z.infer<typeof LoginSucceeded.schema>;

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
];

const READ_TABLES_SQL = `
  CREATE TABLE IF NOT EXISTS read.bench_accounts (
    id text PRIMARY KEY, email text NOT NULL, display_name text NOT NULL, registered_at timestamptz NOT NULL,
    logins integer NOT NULL, last_login_at timestamptz, version integer NOT NULL) WITH (fillfactor = 80);
  CREATE UNIQUE INDEX IF NOT EXISTS bench_accounts_email_idx ON read.bench_accounts (lower(email));
  CREATE TABLE IF NOT EXISTS read.bench_login_history (
    event_id uuid PRIMARY KEY, account_id text NOT NULL, login_id text NOT NULL, occurred_at timestamptz NOT NULL,
    method text NOT NULL, device_id text NOT NULL, ip text NOT NULL, user_agent text NOT NULL, new_device boolean NOT NULL);
  CREATE INDEX IF NOT EXISTS bench_login_history_account_idx ON read.bench_login_history (account_id, occurred_at DESC);
`;

/** Whether the bench projections declare their query-only indexes (switched off only to compare). */
const deferIndexes = { on: true };

/** Seconds each bench projection spent in its own SQL (reset before each rebuild). */
const projectionTime = new Map<string, number>();
/** The same, per statement kind. */
const statementTime = new Map<string, number>();

async function timedStatement<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = process.hrtime.bigint();
  try {
    return await fn();
  } finally {
    statementTime.set(label, (statementTime.get(label) ?? 0) + Number(process.hrtime.bigint() - t0) / 1e9);
  }
}

async function timed<T>(projection: string, fn: () => Promise<T>): Promise<T> {
  const t0 = process.hrtime.bigint();
  try {
    return await fn();
  } finally {
    projectionTime.set(projection, (projectionTime.get(projection) ?? 0) + Number(process.hrtime.bigint() - t0) / 1e9);
  }
}

/**
 * Inline: each account with its login count and last login, written set-wise per batch (the
 * table leaves room in its pages so that the login updates can stay heap-only).
 */
@Injectable()
class BenchAccountsProjection implements Projection {
  readonly name = 'bench-accounts';
  readonly handles = [AccountRegistered.type, LoginSucceeded.type];
  readonly tables = ['read.bench_accounts'];
  // Logins find an account by email. The projection's own writes find rows by id, but set-wise
  // (a hash join of the batch against the table), so during a replay the primary key only costs:
  // every login updates a row whose older versions cannot be pruned before the rebuild commits.
  get queryOnlyIndexes(): string[] {
    return deferIndexes.on ? ['read.bench_accounts_email_idx', 'read.bench_accounts_pkey'] : [];
  }

  apply(events: readonly StoredEvent[], sql: Sql): Promise<void> {
    return timed(this.name, () => this.write(events, sql));
  }

  private async write(events: readonly StoredEvent[], sql: Sql): Promise<void> {
    const registered = events.filter((e) => e.type === AccountRegistered.type) as StoredEvent<AccountRegisteredData>[];
    if (registered.length > 0) {
      await timedStatement('accounts insert', () => sql.query(
        `INSERT INTO read.bench_accounts (id, email, display_name, registered_at, logins, last_login_at, version)
         SELECT x.id, x.email, x.name, x.at, 0, NULL, x.version
           FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::int[]) AS x(id, email, name, at, version)`,
        [
          registered.map((e) => e.streamId),
          registered.map((e) => e.data.email),
          registered.map((e) => e.data.displayName),
          registered.map((e) => e.occurredAt.toISOString()),
          registered.map((e) => e.version),
        ],
      ));
    }
    const logins = new Map<string, { count: number; last: Date }>();
    for (const e of events as StoredEvent<LoginSucceededData>[]) {
      if (e.type !== LoginSucceeded.type) continue;
      const s = logins.get(e.data.accountId);
      if (!s) logins.set(e.data.accountId, { count: 1, last: e.occurredAt });
      else logins.set(e.data.accountId, { count: s.count + 1, last: e.occurredAt > s.last ? e.occurredAt : s.last });
    }
    if (logins.size > 0) {
      const ids = [...logins.keys()];
      const rows = ids.map((id) => logins.get(id)!);
      await timedStatement('accounts update', () => sql.query(
        `UPDATE read.bench_accounts a SET logins = a.logins + x.n, last_login_at = greatest(a.last_login_at, x.last)
           FROM unnest($1::text[], $2::int[], $3::timestamptz[]) AS x(id, n, last)
          WHERE a.id = x.id`,
        [ids, rows.map((r) => r.count), rows.map((r) => r.last.toISOString())],
      ));
    }
  }
}

/** Async: the login history, one row per successful login, inserted set-wise per batch. */
@Injectable()
class BenchLoginHistoryProjection implements Projection {
  readonly name = 'bench-login-history';
  readonly handles = [LoginSucceeded.type];
  readonly tables = ['read.bench_login_history'];
  get queryOnlyIndexes(): string[] {
    return deferIndexes.on ? ['read.bench_login_history_account_idx'] : [];
  }

  apply(events: readonly StoredEvent[], sql: Sql): Promise<void> {
    return timed(this.name, () => this.write(events as readonly StoredEvent<LoginSucceededData>[], sql));
  }

  private async write(logins: readonly StoredEvent<LoginSucceededData>[], sql: Sql): Promise<void> {
    await timedStatement('history insert', () => sql.query(
      `INSERT INTO read.bench_login_history (event_id, account_id, login_id, occurred_at, method, device_id, ip, user_agent, new_device)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::boolean[])`,
      [
        logins.map((e) => e.id),
        logins.map((e) => e.data.accountId),
        logins.map((e) => e.streamId),
        logins.map((e) => e.occurredAt.toISOString()),
        logins.map((e) => e.data.method),
        logins.map((e) => e.data.deviceId),
        logins.map((e) => e.data.ip),
        logins.map((e) => e.data.userAgent),
        logins.map((e) => e.data.newDevice),
      ],
    ));
  }
}

// ---------------------------------------------------------------------------------------------
// Payloads shared by the store and the raw writers, so both insert rows of the same size.

function loginStartedData(writer: number, i: number): z.infer<typeof LoginStarted.schema> {
  const n = writer * 1_000_000 + i;
  return {
    accountId: `account-${randomUUID()}`,
    method: METHODS[n % METHODS.length],
    identifier: `user${n}@example.com`,
    deviceId: randomUUID(),
    ip: `198.51.${n % 250}.${(n % 253) + 1}`,
    userAgent: USER_AGENTS[n % USER_AGENTS.length],
  };
}

function requestMetadata(data: { ip: string; userAgent: string }): Partial<EventMetadata> {
  return { causationId: randomUUID(), actor: { type: 'anonymous', id: null }, ip: data.ip, userAgent: data.userAgent };
}

function passwordHash(): string {
  const b64 = (bytes: number) => randomBytes(bytes).toString('base64').replace(/=+$/, '');
  return `$argon2id$v=19$m=19456,t=2,p=1$${b64(16)}$${b64(32)}`;
}

// ---------------------------------------------------------------------------------------------
// Helpers

const hr = () => process.hrtime.bigint();
const secondsSince = (t0: bigint) => Number(hr() - t0) / 1e9;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (r: number) => `${Math.round(r * 100)}%`;
const out = (line = '') => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`  .. ${line}\n`);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function withDatabaseName(url: string, name: string): string {
  if (!/bench/.test(name)) throw new Error(`refusing to use database "${name}": bench databases must have "bench" in their name`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const admin = new Client({ connectionString: withMaintenance(url), connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

function withMaintenance(url: string): string {
  const u = new URL(url);
  u.pathname = '/postgres';
  return u.toString();
}

interface WriterRun {
  appends: number;
  seconds: number;
  latenciesMs: number[];
}

/** `writers` concurrent loops of `perWriter` operations each; wall time and per-op latency. */
async function runWriters(writers: number, perWriter: number, op: (writer: number, i: number) => Promise<void>): Promise<WriterRun> {
  const latenciesMs: number[] = [];
  const t0 = hr();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        const s = hr();
        await op(w, i);
        latenciesMs.push(Number(hr() - s) / 1e6);
      }
    }),
  );
  return { appends: writers * perWriter, seconds: secondsSince(t0), latenciesMs };
}

function combine(runs: WriterRun[]): { rate: number; p50: number; p99: number; rounds: number[] } {
  const appends = runs.reduce((a, r) => a + r.appends, 0);
  const seconds = runs.reduce((a, r) => a + r.seconds, 0);
  const lat = runs.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  return { rate: appends / seconds, p50: percentile(lat, 50), p99: percentile(lat, 99), rounds: runs.map((r) => r.appends / r.seconds) };
}

// ---------------------------------------------------------------------------------------------
// Phases

/**
 * 200,000 events in 11 transactions: the registrations, then per transaction the start of
 * 10,000 logins and the success of the 10,000 started one transaction earlier.
 */
async function fill(pg: Client): Promise<void> {
  await pg.query(`
    CREATE UNLOGGED TABLE bench_seed AS
    SELECT n, 'account-' || gen_random_uuid() AS stream_id, gen_random_uuid()::text AS device_id
      FROM generate_series(1, ${ACCOUNTS}) AS n`);
  await pg.query(`ALTER TABLE bench_seed ADD PRIMARY KEY (n)`);
  // 7919 is prime to 20,000: the 10,000 logins of a batch belong to 10,000 distinct accounts.
  await pg.query(`
    CREATE UNLOGGED TABLE bench_seed_logins AS
    SELECT f / ${LOGINS_PER_BATCH} AS batch, f % ${LOGINS_PER_BATCH} AS k, 'login-' || gen_random_uuid() AS login_id,
           1 + (f * 7919) % ${ACCOUNTS} AS account_n, f % 5 = 0 AS new_device, gen_random_uuid()::text AS new_device_id
      FROM generate_series(0, ${LOGINS - 1}) AS f`);
  const started = new Date(Date.UTC(2025, 0, 1)).toISOString();
  const b64 = (hexExpr: string) => `rtrim(encode(decode(${hexExpr}, 'hex'), 'base64'), '=')`;
  const ip = (n: string) => `'198.51.' || (${n} % 250) || '.' || ((${n} % 253) + 1)`;
  const ua = (n: string) => `($1::text[])[1 + (${n} % ${USER_AGENTS.length})]`;
  const metadata = (actor: string, n: string) =>
    `jsonb_build_object('correlationId', gen_random_uuid(), 'causationId', gen_random_uuid(), 'actor', ${actor},
                        'ip', ${ip(n)}, 'userAgent', ${ua(n)})`;
  const anonymous = `jsonb_build_object('type', 'anonymous', 'id', NULL)`;
  await pg.query(
    `INSERT INTO events (id, stream_id, stream_type, version, type, schema_version, data, metadata, occurred_at)
     SELECT gen_random_uuid(), s.stream_id, 'account', 1, '${AccountRegistered.type}', 1,
            jsonb_build_object('email', 'user' || s.n || '@example.com', 'displayName', 'Bench User ' || s.n,
                               'passwordHash', $2::text || ${b64('md5(random()::text)')} || '$' ||
                                               ${b64('md5(random()::text) || md5(random()::text)')}),
            ${metadata(anonymous, 's.n')},
            $3::timestamptz + s.n * interval '1 second'
       FROM bench_seed s ORDER BY s.n`,
    [USER_AGENTS, '$argon2id$v=19$m=19456,t=2,p=1$', started],
  );
  const device = `CASE WHEN l.new_device THEN l.new_device_id ELSE s.device_id END`;
  for (let tx = 1; tx <= LOGIN_BATCHES + 1; tx++) {
    await pg.query(
      `INSERT INTO events (id, stream_id, stream_type, version, type, schema_version, data, metadata, occurred_at)
       SELECT gen_random_uuid(), stream_id, 'login', version, type, 1, data, metadata, occurred_at FROM (
         SELECT l.k, l.login_id AS stream_id, 1 AS version, '${LoginStarted.type}' AS type,
                jsonb_build_object('accountId', s.stream_id, 'method', ($4::text[])[1 + (s.n + l.batch) % 4],
                                   'identifier', 'user' || s.n || '@example.com', 'deviceId', ${device},
                                   'ip', ${ip('s.n')}, 'userAgent', ${ua('s.n')}) AS data,
                ${metadata(anonymous, 's.n')} AS metadata,
                $3::timestamptz + ((l.batch + 1) * 86400 + l.k) * interval '1 second' AS occurred_at
           FROM bench_seed_logins l JOIN bench_seed s ON s.n = l.account_n WHERE l.batch = $2::int - 1
         UNION ALL
         SELECT l.k, l.login_id, 2, '${LoginSucceeded.type}',
                jsonb_build_object('accountId', s.stream_id, 'method', ($4::text[])[1 + (s.n + l.batch) % 4],
                                   'deviceId', ${device}, 'ip', ${ip('s.n')}, 'userAgent', ${ua('s.n')}, 'newDevice', l.new_device),
                ${metadata(`jsonb_build_object('type', 'user', 'id', s.stream_id)`, 's.n')},
                $3::timestamptz + ((l.batch + 1) * 86400 + l.k + 20) * interval '1 second'
           FROM bench_seed_logins l JOIN bench_seed s ON s.n = l.account_n WHERE l.batch = $2::int - 2
       ) x ORDER BY k, version`,
      [USER_AGENTS, tx, started, METHODS],
    );
  }
  await pg.query(`DROP TABLE bench_seed_logins`);
  await pg.query(`DROP TABLE bench_seed`);
  // The raw writers insert into a copy of events with the same columns, indexes and row count.
  await pg.query(`CREATE TABLE bench_raw_events (LIKE events INCLUDING ALL)`);
  await pg.query(`CREATE SEQUENCE bench_raw_events_global_position_seq OWNED BY bench_raw_events.global_position`);
  await pg.query(`ALTER TABLE bench_raw_events ALTER COLUMN global_position SET DEFAULT nextval('bench_raw_events_global_position_seq')`);
  await pg.query(`INSERT INTO bench_raw_events SELECT * FROM events`);
  await pg.query(`SELECT setval('bench_raw_events_global_position_seq', (SELECT max(global_position) FROM bench_raw_events))`);
  // As autovacuum would have long done on a live store: hint bits set, statistics fresh.
  await pg.query(`VACUUM (ANALYZE) events, bench_raw_events`);
}

async function readAllOnce(store: EventStore): Promise<{ events: number; seconds: number }> {
  const t0 = hr();
  let after: Checkpoint = START;
  let events = 0;
  for (;;) {
    const batch = await store.readAll(after, READ_BATCH);
    if (batch.length === 0) break;
    events += batch.length;
    after = checkpointOf(batch[batch.length - 1]);
  }
  return { events, seconds: secondsSince(t0) };
}

async function rebuildOnce(
  rebuilder: ProjectionRebuilder,
  batch = REBUILD_BATCH,
): Promise<{ events: number; seconds: number; projections: [string, number][]; statements: [string, number][] }> {
  projectionTime.clear();
  statementTime.clear();
  const t0 = hr();
  const result = await rebuilder.rebuild({ batchSize: batch });
  return { events: result.events, seconds: secondsSince(t0), projections: [...projectionTime], statements: [...statementTime] };
}

/** The V8 CPU profiler of this process, through the inspector protocol (the same data as `--cpu-prof`). */
async function startProfiler(): Promise<{ stop(): Promise<object> }> {
  const session = new Session();
  session.connect();
  const post = (method: string) =>
    new Promise<{ profile?: object }>((resolve, reject) => session.post(method, (error, result) => (error ? reject(error) : resolve(result as { profile?: object }))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    async stop() {
      const { profile } = await post('Profiler.stop');
      session.disconnect();
      return profile ?? {};
    },
  };
}

const RAW_INSERT = `INSERT INTO bench_raw_events (id, stream_id, stream_type, version, type, schema_version, data, metadata, occurred_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;

async function rawAppend(client: Client, writer: number, i: number): Promise<void> {
  const data = loginStartedData(writer, i);
  const metadata: EventMetadata = { correlationId: randomUUID(), causationId: null, actor: { type: 'system', id: null }, ip: null, userAgent: null };
  Object.assign(metadata, requestMetadata(data));
  await client.query('BEGIN');
  try {
    await client.query(RAW_INSERT, [
      randomUUID(),
      `login-${randomUUID()}`,
      'login',
      1,
      LoginStarted.type,
      1,
      JSON.stringify(data),
      JSON.stringify(metadata),
      new Date(),
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function storeAppend(store: EventStore, writer: number, i: number): Promise<void> {
  const data = loginStartedData(writer, i);
  await store.append(`login-${randomUUID()}`, 0, [new LoginStarted(data)], { metadata: requestMetadata(data) });
}

async function storeAppendInline(store: EventStore, writer: number, i: number): Promise<void> {
  const n = writer * 1_000_000 + i;
  const data: AccountRegisteredData = { email: `new-${n}-${randomUUID().slice(0, 8)}@example.com`, displayName: `New User ${n}`, passwordHash: passwordHash() };
  const ip = `203.0.113.${(n % 253) + 1}`;
  await store.append(`account-${randomUUID()}`, 0, [new AccountRegistered(data)], {
    metadata: requestMetadata({ ip, userAgent: USER_AGENTS[n % USER_AGENTS.length] }),
  });
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const env = environmentVariables();
  const base = loadConfig(env);
  const name = `latchkey_bench_${randomBytes(5).toString('hex')}`;
  const url = withDatabaseName(base.database.url, name);
  const config: AppConfig = loadConfig({ ...env, DATABASE_URL: url, LOG_LEVEL: 'silent', REDIS_PREFIX: 'latchkey-bench:' });

  let app: INestApplicationContext | undefined;
  const clients: Client[] = [];
  let created = false;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await app?.close().catch(() => undefined);
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      if (created) await adminQuery(base.database.url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: dropping ${name}\n`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    progress(`creating ${name}`);
    created = true; // from here on, drop it whatever happens
    await ensureDatabase(url);
    await migrate(config);

    const pg = new Client({ connectionString: url });
    clients.push(pg);
    await pg.connect();
    await pg.query(READ_TABLES_SQL);
    const [{ version }] = (await pg.query<{ version: string }>(`SELECT version()`)).rows;
    const settings = (
      await pg.query<{ name: string; setting: string }>(
        `SELECT name, current_setting(name) AS setting FROM unnest(ARRAY['synchronous_commit','fsync','wal_sync_method','shared_buffers']) AS name`,
      )
    ).rows;

    @Module({
      imports: [
        PlatformModule.forRoot(config, { app: 'worker' }),
        EventStoreModule.forFeature({ events: BENCH_EVENTS, inlineProjections: [BenchAccountsProjection], asyncProjections: [BenchLoginHistoryProjection] }),
      ],
    })
    class BenchModule {}
    app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
    const store = app.get(EventStore);
    const rebuilder = app.get(ProjectionRebuilder);

    progress(`filling ${fmt(TOTAL_EVENTS)} events`);
    const t0 = hr();
    await fill(pg);
    const fillSeconds = secondsSince(t0);
    const [{ count: totalEvents, avg_bytes: avgBytes }] = (
      await pg.query<{ count: string; avg_bytes: string }>(`SELECT count(*) AS count, avg(pg_column_size(e.*))::int AS avg_bytes FROM events e`)
    ).rows;

    progress('read-all');
    const reads = [];
    for (let i = 0; i < READ_PASSES; i++) reads.push(await readAllOnce(store));
    if (Number(totalEvents) !== TOTAL_EVENTS) throw new Error(`the fill wrote ${totalEvents} events instead of ${TOTAL_EVENTS}`);
    if (reads.some((r) => r.events !== TOTAL_EVENTS)) {
      throw new Error(`readAll from START returned ${reads.map((r) => r.events).join('/')} of ${TOTAL_EVENTS} events: events were skipped`);
    }
    const readRate = median(reads.map((r) => r.events / r.seconds));

    progress('rebuild');
    const rebuilds = [];
    const profiler = REBUILD_PROFILE ? await startProfiler() : undefined;
    for (let i = 0; i < REBUILD_RUNS; i++) rebuilds.push(await rebuildOnce(rebuilder));
    if (profiler && REBUILD_PROFILE) writeFileSync(REBUILD_PROFILE, JSON.stringify(await profiler.stop()));
    const [check] = (
      await pg.query<{ accounts: string; logins: string; history: string }>(
        `SELECT (SELECT count(*) FROM read.bench_accounts) AS accounts, (SELECT sum(logins) FROM read.bench_accounts) AS logins,
                (SELECT count(*) FROM read.bench_login_history) AS history`,
      )
    ).rows;
    if (rebuilds.some((r) => r.events !== TOTAL_EVENTS) || Number(check.accounts) !== ACCOUNTS || Number(check.logins) !== LOGINS || Number(check.history) !== LOGINS) {
      throw new Error(`rebuild gave ${check.accounts} accounts, ${check.logins} logins, ${check.history} history rows`);
    }
    const compared = new Map<number, number[]>(REBUILD_COMPARE.map((b) => [b, []]));
    for (let round = 0; round < 3 && REBUILD_COMPARE.length > 0; round++) {
      for (const b of round % 2 === 0 ? REBUILD_COMPARE : [...REBUILD_COMPARE].reverse()) {
        const r = await rebuildOnce(rebuilder, b);
        compared.get(b)!.push(r.events / r.seconds);
      }
    }
    const indexVariants = new Map<string, number[]>(REBUILD_COMPARE_INDEXES ? [['indexes built after the replay', []], ['indexes kept during the replay', []]] : []);
    for (let round = 0; round < 4 && REBUILD_COMPARE_INDEXES; round++) {
      for (const defer of round % 2 === 0 ? [true, false] : [false, true]) {
        deferIndexes.on = defer;
        const r = await rebuildOnce(rebuilder);
        indexVariants.get(defer ? 'indexes built after the replay' : 'indexes kept during the replay')!.push(r.events / r.seconds);
      }
    }
    deferIndexes.on = true;
    const rebuildRate = median(rebuilds.map((r) => r.events / r.seconds));

    progress('appends');
    const raw: Client[] = [];
    for (let w = 0; w < WRITERS; w++) {
      const c = new Client({ connectionString: url, application_name: 'latchkey-bench-raw' });
      clients.push(c);
      raw.push(c);
      await c.connect();
    }
    // Start the append phase on a clean checkpoint rather than in the middle of the one the fill and rebuilds caused.
    await pg.query('CHECKPOINT').catch(() => undefined);
    await runWriters(WRITERS, WARMUP_PER_WRITER, (w, i) => storeAppend(store, w, i));
    await runWriters(WRITERS, WARMUP_PER_WRITER, (w, i) => rawAppend(raw[w], w, i));
    const storeRuns: WriterRun[] = [];
    const rawRuns: WriterRun[] = [];
    for (let round = 0; round < APPEND_ROUNDS; round++) {
      // Alternate the order so that neither side always runs right after the other's WAL burst.
      const storeFirst = round % 2 === 0;
      if (storeFirst) storeRuns.push(await runWriters(WRITERS, APPENDS_PER_WRITER, (w, i) => storeAppend(store, w, i)));
      rawRuns.push(await runWriters(WRITERS, APPENDS_PER_WRITER, (w, i) => rawAppend(raw[w], w, i)));
      if (!storeFirst) storeRuns.push(await runWriters(WRITERS, APPENDS_PER_WRITER, (w, i) => storeAppend(store, w, i)));
    }
    const inline = combine([await runWriters(WRITERS, INLINE_APPENDS_PER_WRITER, (w, i) => storeAppendInline(store, w, i))]);
    const appends = combine(storeRuns);
    const rawRate = combine(rawRuns);
    const appendRatio = appends.rate / rawRate.rate;

    // -----------------------------------------------------------------------------------------
    const cpu = cpus();
    const setting = (n: string) => settings.find((s) => s.name === n)?.setting ?? '?';
    const pad = (s: string, n: number) => s.padEnd(n);
    const lpad = (s: string, n: number) => s.padStart(n);
    const row = (what: string, value: string, reference: string, ratio: string, target: string) =>
      out(`${pad(what, 30)}${lpad(value, 10)}   ${pad(reference, 16)}${lpad(ratio, 6)}   ${target}`);
    const ok = (pass: boolean) => (pass ? 'ok' : 'BELOW TARGET');

    out();
    out(`latchkey event-store benchmark, ${new Date().toISOString()}`);
    out(`machine    ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`);
    out(`postgres   ${version}`);
    out(`           ${['synchronous_commit', 'fsync', 'wal_sync_method', 'shared_buffers'].map((n) => `${n}=${setting(n)}`).join('  ')}`);
    out(
      `data       ${fmt(Number(totalEvents))} events (${fmt(ACCOUNTS)} account streams, ${fmt(LOGINS)} login streams of 2 events), ~${avgBytes} bytes/row, filled in ${fillSeconds.toFixed(1)} s`,
    );
    out();
    row('measure', 'result', 'reference', 'ratio', 'target');
    row('appends/s (EventStore.append)', fmt(appends.rate), `raw ${fmt(rawRate.rate)}`, pct(appendRatio), `>= 50% of raw  ${ok(appendRatio >= APPEND_RATIO_TARGET)}`);
    row('  + inline projection', fmt(inline.rate), `raw ${fmt(rawRate.rate)}`, pct(inline.rate / rawRate.rate), '(information)');
    row('read-all events/s', fmt(readRate), fmt(READ_TARGET), pct(readRate / READ_TARGET), `>= ${fmt(READ_TARGET)}/s  ${ok(readRate >= READ_TARGET)}`);
    row('rebuild events/s', fmt(rebuildRate), fmt(REBUILD_TARGET), pct(rebuildRate / REBUILD_TARGET), `>= ${fmt(REBUILD_TARGET)}/s  ${ok(rebuildRate >= REBUILD_TARGET)}`);
    out();
    out(`appends    ${WRITERS} writers x ${fmt(APPENDS_PER_WRITER)} x ${APPEND_ROUNDS} rounds, one event per transaction, new stream each (expectedVersion 0)`);
    out(`           store: rounds ${appends.rounds.map(fmt).join(' / ')}/s, latency p50 ${appends.p50.toFixed(2)} ms, p99 ${appends.p99.toFixed(2)} ms`);
    out(`           raw:   rounds ${rawRate.rounds.map(fmt).join(' / ')}/s, latency p50 ${rawRate.p50.toFixed(2)} ms, p99 ${rawRate.p99.toFixed(2)} ms`);
    out(`           inline (account registered -> read.bench_accounts): ${WRITERS} x ${fmt(INLINE_APPENDS_PER_WRITER)}, p50 ${inline.p50.toFixed(2)} ms, p99 ${inline.p99.toFixed(2)} ms`);
    out(`read-all   batches of ${fmt(READ_BATCH)}, ${READ_PASSES} passes: ${reads.map((r) => `${r.seconds.toFixed(2)} s`).join(' / ')} (median rate shown)`);
    out(`rebuild    batches of ${fmt(REBUILD_BATCH)}, inline bench-accounts + async bench-login-history, ${REBUILD_RUNS} runs: ${rebuilds
      .map((r) => `${r.seconds.toFixed(2)} s`)
      .join(' / ')} (median rate shown)`);
    // The inline and the async projections write on two connections at once, so their times overlap.
    out(`           each projection's own SQL (written concurrently): ${rebuilds
      .map((r) => r.projections.map(([name, s]) => `${name} ${s.toFixed(2)} s`).join(', '))
      .join(' / ')}`);
    out(`           statements (last run): ${rebuilds[rebuilds.length - 1].statements.map(([label, s]) => `${label} ${s.toFixed(2)} s`).join(', ')}`);
    for (const [variant, rates] of indexVariants) out(`           ${variant}: ${rates.map((r) => fmt(r)).join(' / ')} events/s (median ${fmt(median(rates))})`);
    for (const [b, rates] of compared) out(`           batches of ${fmt(b)}: ${rates.map((r) => fmt(r)).join(' / ')} events/s (median ${fmt(median(rates))})`);
    out();
  } finally {
    progress(`dropping ${name}`);
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`latchkey: event-store benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
