/**
 * `npm run bench:delivery`: codes from commit to provider. The built worker runs as its own
 * process; an Infobip-compatible peer (test/peers/infobip.peer.ts) in this process records
 * every SMS it accepts with the time it arrived. Each figure is set against a limit measured
 * in the same run:
 *
 *  0. the peer's own capacity: plain HTTP posts of the same SMS body, 20 at once;
 *  1. burst: 5,000 OTP challenges committed as fast as possible (through the domain, in batches);
 *     deliveries/s reaching the peer, from the first commit to the last arrival — target ≥ 1,000/s;
 *  2. steady: 200 challenges/s for 10 s, one per transaction; p50/p95/p99 from the event's commit
 *     to the provider call — target p95 ≤ 100 ms.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { environmentVariables, loadConfig } from '@latchkey/config';
import { QUEUE_SETTINGS, QueueName } from '@latchkey/delivery';
import { AggregateRepository, ensureDatabase, migrate } from '@latchkey/event-store';
import { IdentityModule, Login, OTP_HMAC_PURPOSE } from '@latchkey/identity';
import { PlatformModule } from '@latchkey/platform';
import { SecretBox, SecurityModule, generateOtp } from '@latchkey/security';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { InfobipPeer } from '../test/peers/infobip.peer';
import { cpuOfProcessesNamed, machineCpuMs, processStat, processesDelta } from './cpu';

const BURST = 5000;
const STEADY_RATE = 200;
const STEADY_SECONDS = 10;
const env = environmentVariables();
/** For investigation: Node flags for the worker process (`--cpu-prof --cpu-prof-dir=/tmp/prof`). */
const EXTRA_WORKER_FLAGS = (env.BENCH_WORKER_NODE_FLAGS ?? '').split(' ').filter(Boolean);

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function until(probe: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

async function main(): Promise<void> {
  const suffix = randomUUID().slice(0, 8);
  const base = loadConfig({ ...env, LOG_LEVEL: 'silent' });
  const dbUrl = new URL(base.database.url);
  dbUrl.pathname = `/latchkey_bench_delivery_${suffix}`;
  const databaseUrl = dbUrl.toString();
  const peer = await InfobipPeer.start();
  const childEnv: Record<string, string> = {
    PATH: env.PATH ?? '',
    DATABASE_URL: databaseUrl,
    REDIS_URL: base.redis.url,
    REDIS_PREFIX: `latchkey-bench-${suffix}:`,
    WORKER_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
    ENCRYPTION_KEYS: `bench:${Buffer.alloc(32, 6).toString('base64')}`,
    SMS_PROVIDER: 'infobip',
    INFOBIP_BASE_URL: peer.url,
    INFOBIP_API_KEY: peer.apiKey,
    INFOBIP_SENDER: 'Latchkey',
    SMS_RATE_LIMIT_PER_SECOND: '100000',
  };
  const config = loadConfig(childEnv);
  await ensureDatabase(databaseUrl);
  await migrate(config);
  const worker = spawn(process.execPath, [...EXTRA_WORKER_FLAGS, join(__dirname, '..', 'apps', 'worker', 'src', 'main.js')], { env: childEnv, stdio: ['ignore', 'inherit', 'inherit'] });
  const context = await NestFactory.createApplicationContext(
    { module: class BenchModule {}, imports: [PlatformModule.forRoot(config, { app: 'worker' }), SecurityModule.forRoot(), IdentityModule] },
    { logger: ['error'] },
  );
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  try {
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${childEnv.WORKER_PORT}/health/ready`)).ok) break;
      } catch {
        /* starting */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const repository = context.get(AggregateRepository);
    const box = new SecretBox(config.encryptionKeys!);
    const userId = randomUUID();
    const accountId = randomUUID();
    let serial = 0;
    const challenge = (): Login => {
      const login = new Login(randomUUID());
      const code = generateOtp();
      const phone = `+38591${String(1_000_000 + (serial++ % 8_999_999)).padStart(7, '0')}`;
      const now = Date.now();
      login.attempt({ method: 'password', login: 'bench', outcome: 'otp_required', reason: 'new_device', userId, accountId });
      login.requireTwoFactor(userId, accountId, 'new_device', {
        code: {
          channel: 'sms',
          destination: '+385*****00',
          codeHash: box.hmac(OTP_HMAC_PURPOSE, `${login.id}:${code}`),
          sealed: box.encrypt(JSON.stringify({ code, channel: 'sms', destination: phone, locale: 'en' }), login.id),
          expiresAt: new Date(now + 3_600_000).toISOString(),
          resendAvailableAt: new Date(now + 30_000).toISOString(),
        },
        channels: ['sms', 'voice', 'email'],
        blocked: [],
      });
      return login;
    };

    // 0. The peer's capacity with plain HTTP, 20 at once.
    const sample = JSON.stringify({ messages: [{ sender: 'Latchkey', destinations: [{ to: '385911234567' }], content: { text: '123456 is your code.' } }] });
    let raw = 0;
    const rawDeadline = Date.now() + 3000;
    const rawStart = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (Date.now() < rawDeadline) {
          await fetch(`${peer.url}/sms/3/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `App ${peer.apiKey}` }, body: sample });
          raw++;
        }
      }),
    );
    const rawRate = raw / (Number(process.hrtime.bigint() - rawStart) / 1e9);
    peer.clear();

    // 1. Burst, with the CPU each process spends on it.
    const cpuBefore = cpuReading(worker.pid!);
    const burstStart = Date.now();
    for (let i = 0; i < BURST; i += 250) {
      await repository.save(Array.from({ length: Math.min(250, BURST - i) }, challenge));
    }
    const committed = Date.now();
    const done = await until(() => peer.messages('sms').length >= BURST, 120_000);
    const arrivals = peer.messages('sms');
    const lastArrival = Math.max(...arrivals.map((m) => m.receivedAt.getTime()));
    const burstRate = arrivals.length / ((lastArrival - burstStart) / 1000);
    const burstCpu = cpuSince(cpuBefore, worker.pid!);
    const burstLatencies = await latencies(pg, arrivals);

    // 2. Steady 200/s.
    peer.clear();
    const interval = 1000 / STEADY_RATE;
    const steadyStart = Date.now();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < STEADY_RATE * STEADY_SECONDS; i++) {
      const due = steadyStart + i * interval;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(repository.save(challenge()));
    }
    await Promise.all(pending);
    await until(() => peer.messages('sms').length >= STEADY_RATE * STEADY_SECONDS, 60_000);
    const steady = await latencies(pg, peer.messages('sms'));

    const { rows } = await pg.query('SELECT version()');
    const cpu = cpus();
    print(`\nlatchkey bench:delivery — ${new Date().toISOString()}`);
    print(`machine: ${cpu[0].model}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; ${String(rows[0].version).split(',')[0]}; Node ${process.version}`);
    print(`worker: 1 process, otp-sms concurrency ${QUEUE_SETTINGS[QueueName.OtpSms].concurrency}, LOG_LEVEL=warn; provider: Infobip-compatible peer on loopback\n`);
    print(`peer capacity (plain HTTP, 20 at once): ${Math.round(rawRate).toLocaleString('en')} messages/s`);
    print(
      `burst: ${BURST.toLocaleString('en')} challenges committed in ${((committed - burstStart) / 1000).toFixed(1)} s; ${arrivals.length.toLocaleString('en')} delivered${done ? '' : ' (TIMED OUT)'}; ` +
        `${Math.round(burstRate).toLocaleString('en')} deliveries/s (target >= 1,000/s: ${(burstRate / 1000).toFixed(2)}; of peer capacity: ${(burstRate / rawRate).toFixed(2)})`,
    );
    print(`  commit -> provider: p50 ${burstLatencies.p50} ms, p95 ${burstLatencies.p95} ms, p99 ${burstLatencies.p99} ms`);
    const per = (ms: number) => (ms / Math.max(1, arrivals.length)).toFixed(2);
    print(
      `  CPU per delivery (ms): worker ${per(burstCpu.worker)}, PostgreSQL ${per(burstCpu.postgres)}, Redis ${per(burstCpu.redis)}, ` +
        `this process (committing the challenges, the peer) ${per(burstCpu.self)}, whole machine ${per(burstCpu.machine)} ` +
        `(1,000/s on ${cpus().length} cores allows ${cpus().length.toFixed(2)})`,
    );
    print(
      `steady ${STEADY_RATE}/s for ${STEADY_SECONDS} s: ${steady.count} delivered; commit -> provider p50 ${steady.p50} ms, p95 ${steady.p95} ms (target <= 100 ms: ${(steady.p95 / 100).toFixed(2)} of it), p99 ${steady.p99} ms`,
    );
    const duplicates = peer.messages('sms').length - new Set(peer.messages('sms').map((m) => m.messageId)).size;
    print(`duplicates sent: ${duplicates}`);
  } finally {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    await context.close();
    await pg.end();
    await peer.stop();
    const admin = new URL(databaseUrl);
    admin.pathname = '/postgres';
    const client = new Client({ connectionString: admin.toString() });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "latchkey_bench_delivery_${suffix}" WITH (FORCE)`);
    await client.end();
  }
}

interface CpuReading {
  worker: number;
  postgres: Map<number, number>;
  redis: Map<number, number>;
  self: NodeJS.CpuUsage;
  machine: number;
}

function cpuReading(workerPid: number): CpuReading {
  const { machine, postgres } = machineCpuMs();
  return { worker: processStat(workerPid).cpuMs, postgres, redis: cpuOfProcessesNamed('redis-server'), self: process.cpuUsage(), machine };
}

/** CPU (ms) each part used since `before`. */
function cpuSince(before: CpuReading, workerPid: number): { worker: number; postgres: number; redis: number; self: number; machine: number } {
  const after = cpuReading(workerPid);
  const self = process.cpuUsage(before.self);
  return {
    worker: after.worker - before.worker,
    postgres: processesDelta(before.postgres, after.postgres),
    redis: processesDelta(before.redis, after.redis),
    self: (self.user + self.system) / 1000,
    machine: after.machine - before.machine,
  };
}

/** Commit-to-provider times: the peer's arrival time minus the event's commit time (same clock). */
async function latencies(pg: Client, arrivals: { messageId: string; receivedAt: Date }[]): Promise<{ count: number; p50: number; p95: number; p99: number }> {
  const { rows } = await pg.query<{ id: string; at: Date }>(`SELECT id, occurred_at AS at FROM events WHERE id = ANY($1::uuid[])`, [arrivals.map((a) => a.messageId)]);
  const committedAt = new Map(rows.map((r) => [r.id, r.at.getTime()]));
  const values = arrivals
    .map((a) => a.receivedAt.getTime() - (committedAt.get(a.messageId) ?? a.receivedAt.getTime()))
    .sort((a, b) => a - b);
  return { count: values.length, p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99) };
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:delivery failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
