/**
 * `npm run bench:login`: the built API as its own process, loaded with autocannon over
 * loopback, each figure next to the physical limit measured in the same run:
 *
 *  1. raw argon2id verify rate (same parameters, same thread-pool size, 8 at once) in a process
 *     started with the API's environment, just before and just after (2), averaged;
 *  2. password logins/s at saturation from trusted devices (no code: the full login, session and
 *     token path), and its ratio to (1) — target ≥ 0.9;
 *  3. token refreshes/s (each response's refresh token is used for a later request) — target ≥ 1,500/s;
 *  4. OTP verifies/s with the right code on fresh challenges (seeded through the domain, so that
 *     seeding costs no argon2), each creating a trusted device and a session — target ≥ 1,000/s;
 *  5. the API's peak RSS during the runs — target ≤ 250 MB.
 *
 * Beside (2)–(4), the same requests against the ideal server (bench/reference-server.ts): the
 * same work done as tightly as one process can (one round trip per step, decisions in SQL, no
 * framework) on copies of the API's read models — what any implementation could reach on this
 * machine in this run. Each figure is also given as a ratio to its ideal.
 *
 * It works on a database of its own (`latchkey_bench_login_<random>`), dropped at the end.
 *
 * For investigation: `BENCH_PHASES` (comma-separated, of logins, refreshes, verifies; default all)
 * runs only those phases after the reference, and `BENCH_API_NODE_FLAGS` adds Node flags to the
 * API process (`--cpu-prof --cpu-prof-dir=/tmp/prof` writes its CPU profile when it stops).
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { environmentVariables, loadConfig } from '@latchkey/config';
import { AggregateRepository, ensureDatabase, migrate } from '@latchkey/event-store';
import { IdentityModule, Login, OTP_HMAC_PURPOSE, type UserRow } from '@latchkey/identity';
import { API_NODE_FLAGS, PlatformModule, apiNodeEnvironment } from '@latchkey/platform';
import { SecretBox, SecurityModule, generateOtp } from '@latchkey/security';
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { machineCpuMs, processStat, processesDelta, threadSplit } from './cpu';

const LOGIN_SECONDS = 15;
const REFRESH_SECONDS = 15;
const OTP_SECONDS = 10;
const OTP_CHALLENGES = 40_000;
const USERS = 16;
const PASSWORD = 'bench horse battery staple';

const env = environmentVariables();
const PHASES = new Set((env.BENCH_PHASES ?? 'logins,refreshes,verifies').split(',').map((p) => p.trim()));
const EXTRA_API_FLAGS = (env.BENCH_API_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/** Concurrent connections autocannon keeps open (the reference's and every phase's). */
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 8);
/** Before each measured run, this many of the same requests, unmeasured (`BENCH_WARM_UP_REQUESTS`, 0 for none). */
const WARM_UP_REQUESTS = Number(env.BENCH_WARM_UP_REQUESTS ?? 2000);

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Where the run is, on stderr (the figures go to stdout). */
function progress(phase: string): void {
  process.stderr.write(`  .. ${phase}\n`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function json(url: string, body: unknown): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * The raw verify rate, `CONNECTIONS` at once, in a process of its own started with the API's
 * environment: the same parameters and the same thread-pool size as the API's hashing.
 */
async function rawArgon2Rate(seconds: number, environment: Record<string, string>): Promise<{ rate: number; cpuMsPerVerify: number }> {
  const child = spawn(process.execPath, [join(__dirname, 'argon2-rate.js'), String(seconds), String(CONNECTIONS)], {
    env: environment,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`argon2-rate exited with ${code}`);
  return JSON.parse(output) as { rate: number; cpuMsPerVerify: number };
}

interface CpuSplit {
  api: number;
  /** The API's main thread (the event loop), and its other threads (the hashing pool, GC helpers). */
  apiMain: number;
  apiOther: number;
  apiFaults: number;
  postgres: number;
  loadGenerator: number;
  machine: number;
  /** CPU time the hypervisor gave to others while this VM had work ready, and the run's wall time (ms). */
  steal: number;
  wallMs: number;
}

/** Sends SIGTERM and waits for the exit, unless the process has ended already (by itself or by a signal). */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Runs just before each measured run (after its warm-up): a CHECKPOINT, so that no run writes another's dirty pages. */
let beforeMeasuring: () => Promise<void> = async () => {};

/** Autocannon run, with the CPU it cost: the server under test, PostgreSQL, this process (autocannon), the whole machine. */
async function run(options: autocannon.Options, serverPid?: number): Promise<autocannon.Result & { cpu?: CpuSplit }> {
  // Unmeasured, the same requests first: a server that has run for a while has its hot paths
  // compiled by V8's optimizing compiler; a process just started runs them in its baseline tiers.
  if (serverPid && WARM_UP_REQUESTS > 0) {
    await new Promise<void>((resolve, reject) => {
      const { duration: _measured, ...warmUp } = options;
      autocannon({ ...warmUp, amount: WARM_UP_REQUESTS }, (error) => (error ? reject(error) : resolve()));
    });
    // In case autocannon left requests unanswered: the server finishes them (a login's hash
    // included) before the measured run starts.
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (serverPid) await beforeMeasuring();
  const before = serverPid ? { server: processStat(serverPid), threads: threadSplit(serverPid), self: process.cpuUsage(), at: Date.now(), ...machineCpuMs() } : undefined;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(options, (error, r) => (error ? reject(error) : resolve(r)));
  });
  if (!serverPid || !before) return result;
  const after = { server: processStat(serverPid), threads: threadSplit(serverPid), self: process.cpuUsage(before.self), ...machineCpuMs() };
  return {
    ...result,
    cpu: {
      api: after.server.cpuMs - before.server.cpuMs,
      apiMain: after.threads.mainMs - before.threads.mainMs,
      apiOther: after.threads.otherMs - before.threads.otherMs,
      apiFaults: after.server.faults - before.server.faults,
      postgres: processesDelta(before.postgres, after.postgres),
      loadGenerator: (after.self.user + after.self.system) / 1000,
      machine: after.machine - before.machine,
      steal: after.steal - before.steal,
      wallMs: Date.now() - before.at,
    },
  };
}

/** A CPU time as a share of what all the machine's cores could give in `wallMs`. */
function percentOfCores(cpuMs: number, wallMs: number): string {
  return `${((cpuMs / (wallMs * cpus().length)) * 100).toFixed(0)}%`;
}

function summary(name: string, result: autocannon.Result & { cpu?: CpuSplit }): { rate: number; line: string } {
  const ok = result['2xx'];
  const rate = ok / (result.duration || 1);
  const errors = result.non2xx + result.errors + result.timeouts;
  const per = (ms: number) => (ms / ok).toFixed(2);
  const cpu =
    result.cpu && ok > 0
      ? `\n  CPU per request (ms): server ${per(result.cpu.api)} (main thread ${per(result.cpu.apiMain)}, other threads ${per(result.cpu.apiOther)}), PostgreSQL ${per(result.cpu.postgres)}, autocannon ${per(result.cpu.loadGenerator)}, whole machine ${per(result.cpu.machine)}; server page faults per request ${(result.cpu.apiFaults / ok).toFixed(0)}` +
        `\n  the machine's cores: ${percentOfCores(result.cpu.machine, result.cpu.wallMs)} busy, ${percentOfCores(result.cpu.steal, result.cpu.wallMs)} stolen by the hypervisor`
      : '';
  return { rate, line: `${name}: ${Math.round(rate).toLocaleString('en')}/s ok, ${errors} errors/non-2xx, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms${cpu}` };
}

async function main(): Promise<void> {
  const suffix = randomUUID().slice(0, 8);
  const base = loadConfig({ ...env, LOG_LEVEL: 'silent' });
  const dbUrl = new URL(base.database.url);
  dbUrl.pathname = `/latchkey_bench_login_${suffix}`;
  const databaseUrl = dbUrl.toString();
  const port = await freePort();
  const workerPort = await freePort();
  const childEnv: Record<string, string> = {
    PATH: env.PATH ?? '',
    DATABASE_URL: databaseUrl,
    REDIS_URL: base.redis.url,
    REDIS_PREFIX: `latchkey-bench-${suffix}:`,
    PORT: String(port),
    WORKER_PORT: String(workerPort),
    LOG_LEVEL: 'warn',
    ENCRYPTION_KEYS: `bench:${Buffer.alloc(32, 5).toString('base64')}`,
    OTP_MAX_SENDS_PER_USER_PER_HOUR: '1000',
    LOGIN_MAX_FAILURES_PER_IP: '1000000',
  };
  const config = loadConfig(childEnv);
  await ensureDatabase(databaseUrl);
  await migrate(config);

  // Started as `npm start` starts it.
  const apiEnvironment = { ...childEnv, ...apiNodeEnvironment(config.passwordHashConcurrency, {}) };
  const api = spawn(process.execPath, [...API_NODE_FLAGS, ...EXTRA_API_FLAGS, join(__dirname, '..', 'apps', 'api', 'src', 'main.js')], {
    env: apiEnvironment,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let peakRss = 0;
  const sampler = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, rssMb(api.pid!));
    } catch {
      /* not started yet or gone */
    }
  }, 200);
  const url = `http://127.0.0.1:${port}`;
  let stopReference = async () => {};
  const context = await NestFactory.createApplicationContext(
    {
      module: class BenchModule {},
      imports: [PlatformModule.forRoot(config, { app: 'worker' }), SecurityModule.forRoot(), IdentityModule],
    },
    { logger: ['error'] },
  );
  try {
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${url}/health/ready`)).ok) break;
      } catch {
        /* starting */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const pg = new Client({ connectionString: databaseUrl });
    await pg.connect();
    beforeMeasuring = async () => {
      await pg.query('CHECKPOINT');
    };
    const box = new SecretBox(config.encryptionKeys!);

    // Users with a trusted device and a session each.
    const users: { email: string; deviceToken: string; refreshToken: string; row?: UserRow }[] = [];
    for (let i = 0; i < USERS; i++) {
      const email = `bench${i}-${suffix}@example.com`;
      await json(`${url}/auth/signup`, { accountName: `Bench ${i}`, email, username: `bench${i}_${suffix}`, password: PASSWORD });
      const login = await json(`${url}/auth/login`, { login: email, password: PASSWORD });
      const { rows } = await pg.query(`SELECT data FROM events WHERE stream_id = $1 AND type = 'login.otp_challenge_issued'`, [`login-${login.challengeId}`]);
      const code = JSON.parse(box.decrypt(rows[0].data.sealed, login.challengeId)).code;
      const verified = await json(`${url}/auth/otp/verify`, { challengeId: login.challengeId, code });
      users.push({ email, deviceToken: verified.deviceToken, refreshToken: verified.refreshToken });
    }

    const lines: string[] = [];
    // The raw rate is measured just before and just after the logins and averaged: this VM's
    // speed drifts within minutes, and a limit measured apart from the run it bounds skews the ratio.
    const argonBefore = PHASES.has('logins') ? await rawArgon2Rate(6, apiEnvironment) : undefined;

    progress('reference');
    // 0. The physical limit of a state-changing request: HTTP + one durable transaction, no framework.
    // The same process serves the ideal refresh and login (bench/reference-server.ts) later on.
    const referencePort = await freePort();
    // Started as the API is (environment and Node flags), so that the ideal login's hashes run
    // with the API's thread pool and allocator settings.
    const reference = spawn(process.execPath, [...API_NODE_FLAGS, join(__dirname, 'reference-server.js')], {
      env: {
        ...apiEnvironment,
        REFERENCE_DATABASE_URL: databaseUrl,
        REFERENCE_REDIS_URL: base.redis.url,
        REFERENCE_PORT: String(referencePort),
        REFERENCE_ENCRYPTION_KEYS: childEnv.ENCRYPTION_KEYS,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    stopReference = () => stop(reference);
    const referenceUrl = `http://127.0.0.1:${referencePort}`;
    for (let i = 0; i < 50; i++) {
      try {
        await fetch(`${referenceUrl}/reference`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const referenceRun = await run({
      url: `${referenceUrl}/reference`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: 'x'.repeat(43) }),
      connections: CONNECTIONS,
      duration: 10,
    }, reference.pid);
    const limit = summary('reference: HTTP + one durable transaction (Fastify + pg, no framework)', referenceRun);
    const ideal = async (step: 'seed' | 'drop') => {
      const response = await fetch(`${referenceUrl}/ideal/${step}`, { method: 'POST' });
      if (!response.ok) throw new Error(`ideal server, ${step}: ${response.status} ${await response.text()}`);
    };
    /**
     * One phase's ideal run, just before the API's: on copies of the API's read models as they
     * are now, dropped after the run. Nothing when the phase is not run.
     */
    const idealRun = async (phase: string, duration: number, request: autocannon.Request, name: string) => {
      if (!PHASES.has(phase)) return undefined;
      progress(`ideal ${phase}`);
      await ideal('seed');
      const result = await run({ url: referenceUrl, connections: CONNECTIONS, duration, requests: [request] }, reference.pid);
      await ideal('drop');
      return summary(name, result);
    };

    // 2. Logins from trusted devices: the ideal server's first, then the API's.
    let next = 0;
    const loginRequest = (path: string): autocannon.Request => ({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      setupRequest: (req) => {
        const user = users[next++ % users.length];
        return { ...req, body: JSON.stringify({ login: user.email, password: PASSWORD, deviceToken: user.deviceToken }) };
      },
    });
    const idealLoginSummary = await idealRun('logins', LOGIN_SECONDS, loginRequest('/ideal/login'), 'ideal password login (Fastify + pg + Redis, one round trip per step, no framework)');
    if (PHASES.has('logins')) progress('logins');
    const logins = !PHASES.has('logins') ? undefined : await run({
      url,
      connections: CONNECTIONS,
      duration: LOGIN_SECONDS,
      requests: [loginRequest('/auth/login')],
    }, api.pid);
    const loginSummary = logins && summary('password logins (trusted device)', logins);
    const argonAfter = PHASES.has('logins') ? await rawArgon2Rate(6, apiEnvironment) : undefined;
    const argonRate = argonBefore !== undefined && argonAfter !== undefined ? (argonBefore.rate + argonAfter.rate) / 2 : undefined;
    const argonCpuMs = argonBefore !== undefined && argonAfter !== undefined ? (argonBefore.cpuMsPerVerify + argonAfter.cpuMsPerVerify) / 2 : undefined;
    const rssAfterLogins = peakRss;

    // 3. Token refreshes: each answer's token goes back into the pool for a later request.
    if (PHASES.has('refreshes')) progress('refreshes (logging in for more tokens first)');
    const pool = users.map((u) => u.refreshToken);
    for (let i = users.length; PHASES.has('refreshes') && i < CONNECTIONS * 4; i++) {
      const user = users[i % users.length];
      const extra = await json(`${url}/auth/login`, { login: user.email, password: PASSWORD, deviceToken: user.deviceToken });
      pool.push(extra.refreshToken);
    }
    /** Refreshes drawing on `tokens`, each answer's token going back into it. */
    const refreshRequest = (path: string, tokens: string[]): autocannon.Request => ({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      setupRequest: (req) => ({ ...req, body: JSON.stringify({ refreshToken: tokens.shift() }) }),
      onResponse: (status, body) => {
        if (status === 200) tokens.push(JSON.parse(body).refreshToken);
      },
    });
    // The ideal server's copy of the sessions takes the same tokens, in its own tables.
    const idealRefreshSummary = await idealRun('refreshes', REFRESH_SECONDS, refreshRequest('/ideal/refresh', [...pool]), 'ideal token refresh (Fastify + pg, one statement, no framework)');
    if (PHASES.has('refreshes')) progress('refreshes');
    const refreshes = !PHASES.has('refreshes')
      ? undefined
      : await run({ url, connections: CONNECTIONS, duration: REFRESH_SECONDS, requests: [refreshRequest('/auth/token/refresh', pool)] }, api.pid);
    const refreshSummary = refreshes && summary('token refreshes', refreshes);

    // 4. OTP verifies: fresh challenges written through the domain (no argon2), right codes.
    if (PHASES.has('verifies')) progress('seeding challenges for the verifies');
    const repository = context.get(AggregateRepository);
    const { rows: userRows } = await pg.query(`SELECT id, account_id AS "accountId" FROM read.users ORDER BY created_at`);
    const challenges: { challengeId: string; code: string }[] = [];
    for (let batch = 0; PHASES.has('verifies') && batch < OTP_CHALLENGES / 500; batch++) {
      const logins: Login[] = [];
      for (let i = 0; i < 500; i++) {
        const user = userRows[(batch * 500 + i) % userRows.length];
        const login = new Login(randomUUID());
        const code = generateOtp();
        const now = Date.now();
        login.attempt({ method: 'password', login: 'bench', outcome: 'otp_required', reason: 'new_device', userId: user.id, accountId: user.accountId });
        login.requireTwoFactor(
          user.id,
          user.accountId,
          'new_device',
          {
            code: {
              channel: 'email',
              destination: 'b***@example.com',
              codeHash: box.hmac(OTP_HMAC_PURPOSE, `${login.id}:${code}`),
              sealed: box.encrypt(JSON.stringify({ code, channel: 'email', destination: 'bench@example.com', locale: 'en' }), login.id),
              expiresAt: new Date(now + 3_600_000).toISOString(),
              resendAvailableAt: new Date(now + 30_000).toISOString(),
            },
            channels: ['email'],
            blocked: [],
          },
        );
        logins.push(login);
        challenges.push({ challengeId: login.id, code });
      }
      await repository.save(logins);
    }
    // The ideal server verifies the same challenges in its own copy of the events, the API after it.
    let nextChallenge = 0;
    const verifyRequest = (path: string): autocannon.Request => ({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      setupRequest: (req) => ({ ...req, body: JSON.stringify(challenges[nextChallenge++ % challenges.length]) }),
    });
    const idealVerifySummary = await idealRun('verifies', OTP_SECONDS, verifyRequest('/ideal/verify'), 'ideal OTP verify (Fastify + pg, one statement, no framework)');
    const idealChallengesUsed = nextChallenge;
    nextChallenge = 0;
    if (PHASES.has('verifies')) progress('verifies');
    const verifies = !PHASES.has('verifies')
      ? undefined
      : await run({ url, connections: CONNECTIONS, duration: OTP_SECONDS, requests: [verifyRequest('/auth/otp/verify')] }, api.pid);
    const verifySummary = verifies && summary('OTP verifies (right code, new device trusted)', verifies);
    if (idealChallengesUsed > challenges.length) lines.push(`note: ${idealChallengesUsed - challenges.length} ideal verifies reused a challenge (raise OTP_CHALLENGES)`);
    if (nextChallenge > challenges.length) lines.push(`note: ${nextChallenge - challenges.length} verifies reused a challenge (raise OTP_CHALLENGES)`);
    await pg.end();

    const versionClient = new Client({ connectionString: databaseUrl });
    await versionClient.connect();
    const { rows: versionRows } = await versionClient.query('SELECT version()');
    await versionClient.end();
    const cpu = cpus();
    print(`\nlatchkey bench:login — ${new Date().toISOString()}`);
    print(`machine: ${cpu[0].model}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; ${String(versionRows[0].version).split(',')[0]}; Node ${process.version}`);
    print(`autocannon: ${CONNECTIONS} connections over loopback; API LOG_LEVEL=warn, libuv thread pool ${apiEnvironment.UV_THREADPOOL_SIZE}\n`);
    if (argonRate !== undefined) print(`raw argon2id verify (19 MiB, t=2, p=1, ${CONNECTIONS} at once, thread pool ${apiEnvironment.UV_THREADPOOL_SIZE}): ${argonRate.toFixed(1)}/s (${argonBefore!.rate.toFixed(1)} before the logins, ${argonAfter!.rate.toFixed(1)} after), CPU per verify ${argonCpuMs!.toFixed(2)} ms`);
    print(`${limit.line}`);
    if (idealLoginSummary) {
      print(`${idealLoginSummary.line}`);
      print(`  ratio to raw argon2: ${(idealLoginSummary.rate / argonRate!).toFixed(2)} (what the target of 0.9 asks of the API, done as tightly as it can be)`);
    }
    if (loginSummary) {
      print(`${loginSummary.line}`);
      const toIdeal = idealLoginSummary ? `; to the ideal login: ${(loginSummary.rate / idealLoginSummary.rate).toFixed(2)}` : '';
      print(`  ratio to raw argon2: ${(loginSummary.rate / argonRate!).toFixed(2)} (target >= 0.9)${toIdeal}`);
      const cpu = logins?.cpu;
      if (cpu && argonCpuMs !== undefined && logins['2xx'] > 0) {
        // Both runs keep the cores busy, so the ratio is about the CPU a login costs against
        // the CPU a verify costs alone: the hash's own share of that, and everything else's.
        const per = (ms: number) => ms / logins['2xx'];
        print(
          `  a login's CPU against a verify's alone (${argonCpuMs.toFixed(2)} ms): the API's other threads (the hash, GC helpers) ${(per(cpu.apiOther) / argonCpuMs).toFixed(2)}×, ` +
            `everything else ${((per(cpu.machine) - per(cpu.apiOther)) / argonCpuMs).toFixed(2)}×`,
        );
      }
    }
    if (idealRefreshSummary) {
      print(`${idealRefreshSummary.line}`);
      print(`  ratio to the reference: ${(idealRefreshSummary.rate / limit.rate).toFixed(2)}; to the 1,500/s target: ${(idealRefreshSummary.rate / 1500).toFixed(2)}`);
    }
    if (refreshSummary) {
      print(`${refreshSummary.line}`);
      const toIdeal = idealRefreshSummary ? `; to the ideal refresh: ${(refreshSummary.rate / idealRefreshSummary.rate).toFixed(2)}` : '';
      print(`  ratio to the reference: ${(refreshSummary.rate / limit.rate).toFixed(2)}${toIdeal}; to the 1,500/s target: ${(refreshSummary.rate / 1500).toFixed(2)}`);
    }
    if (idealVerifySummary) {
      print(`${idealVerifySummary.line}`);
      print(`  ratio to the reference: ${(idealVerifySummary.rate / limit.rate).toFixed(2)}; to the 1,000/s target: ${(idealVerifySummary.rate / 1000).toFixed(2)}`);
    }
    if (verifySummary) {
      print(`${verifySummary.line}`);
      const toIdeal = idealVerifySummary ? `; to the ideal verify: ${(verifySummary.rate / idealVerifySummary.rate).toFixed(2)}` : '';
      print(`  ratio to the reference: ${(verifySummary.rate / limit.rate).toFixed(2)}${toIdeal}; to the 1,000/s target: ${(verifySummary.rate / 1000).toFixed(2)}`);
    }
    print(`API peak RSS: ${peakRss.toFixed(0)} MB (after logins ${rssAfterLogins.toFixed(0)} MB; target <= 250 MB)`);
    for (const line of lines) print(line);
  } finally {
    clearInterval(sampler);
    await stopReference();
    await stop(api);
    await context.close();
    const admin = new URL(databaseUrl);
    admin.pathname = '/postgres';
    const client = new Client({ connectionString: admin.toString() });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "latchkey_bench_login_${suffix}" WITH (FORCE)`);
    await client.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:login failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
