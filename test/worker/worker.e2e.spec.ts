import { Client } from 'pg';
import { TcpProxy, builtEntry, createTestDatabase, dropDatabase, freePort, runNode, signUp, startApi, testEnvironment, waitForStatus } from '@latchkey/testing';

describe('worker process', () => {
  it('serves health and metrics on WORKER_PORT and stops cleanly on SIGTERM', async () => {
    const database = await createTestDatabase('worker');
    const port = await freePort();
    const worker = runNode(
      builtEntry('apps/worker/src/main.js'),
      testEnvironment(database.url, 'worker', { WORKER_PORT: String(port), LOG_LEVEL: 'info' }),
    );
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200, 20_000)).toBe(200);
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('latchkey_process_cpu_seconds_total');
      // No public API on the worker.
      expect((await fetch(`http://127.0.0.1:${port}/docs-json`)).status).toBe(404);
      const { code } = await worker.stop('SIGTERM');
      expect(code).toBe(0);
      expect(worker.stdout()).toMatch(/SIGTERM received, shutting down/);
      expect(worker.stdout()).toMatch(/"msg":"stopped"/);
    } finally {
      await worker.stop('SIGKILL');
      await dropDatabase(database.name);
    }
  });
});

describe('worker metrics', () => {
  it('shows on /metrics how far behind the relay is: 0 when caught up, growing while a transaction holds it back', async () => {
    const api = await startApi('worker_lag');
    const port = await freePort();
    const worker = runNode(builtEntry('apps/worker/src/main.js'), testEnvironment(api.database.url, 'worker_lag', { WORKER_PORT: String(port), LOG_LEVEL: 'info' }));
    const relayFigures = async () => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const figure = (name: string) => {
        const match = new RegExp(`^${name}\\{[^}]*subscription="relay"[^}]*\\} (\\S+)$`, 'm').exec(text);
        return match ? Number(match[1]) : undefined;
      };
      return { active: figure('latchkey_subscription_active'), delay: figure('latchkey_subscription_delay_seconds'), text };
    };
    const until = async (condition: () => Promise<boolean>, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await condition())) {
        if (Date.now() > deadline) throw new Error('condition not met in time');
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const holder = new Client({ connectionString: api.database.url });
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/health/live`, 200, 20_000)).toBe(200);
      await until(async () => (await relayFigures()).active === 1);
      await until(async () => (await relayFigures()).delay === 0);
      expect((await relayFigures()).text).toMatch(/^latchkey_subscription_active\{[^}]*subscription="projection:audit-log"[^}]*\} 1$/m);

      // A transaction of the relay's own database, open and silent (it could still write events):
      // a code committed after it began waits, and the figure shows by how long.
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query('SELECT pg_current_xact_id()');
      const user = await signUp(api.http);
      const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
      await new Promise((r) => setTimeout(r, 2500));
      expect((await relayFigures()).delay).toBeGreaterThanOrEqual(2);
      const delivered = async () =>
        (await api.pg.query(`SELECT 1 FROM events WHERE stream_id = $1 AND type = 'login.otp_delivered'`, [`login-${login.body.challengeId}`])).rows.length > 0;
      expect(await delivered()).toBe(false);

      await holder.query('COMMIT');
      await until(delivered);
      await until(async () => (await relayFigures()).delay === 0);
    } finally {
      await holder.end().catch(() => undefined);
      await worker.stop('SIGKILL');
      await api.close();
    }
  }, 90_000);
});

describe('worker start-up checks', () => {
  it('warns when Redis may evict keys (BullMQ would lose queued deliveries)', async () => {
    const { spawn } = await import('node:child_process');
    const redisPort = await freePort();
    const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru'], {
      stdio: 'ignore',
    });
    const database = await createTestDatabase('worker_policy');
    const port = await freePort();
    const worker = runNode(
      builtEntry('apps/worker/src/main.js'),
      testEnvironment(database.url, 'worker_policy', { WORKER_PORT: String(port), LOG_LEVEL: 'info', REDIS_URL: `redis://127.0.0.1:${redisPort}` }),
    );
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/health/live`, 200, 20_000)).toBe(200);
      expect(worker.stdout()).toMatch(/maxmemory-policy is \\"allkeys-lru\\", not \\"noeviction\\"/);
      expect(worker.stdout()).toMatch(/serving queues otp-sms, otp-voice, otp-email, email/);
    } finally {
      await worker.stop();
      redis.kill();
      await dropDatabase(database.name);
    }
  });

  it('serves only the queues WORKER_QUEUES names', async () => {
    const database = await createTestDatabase('worker_queues');
    const port = await freePort();
    const worker = runNode(
      builtEntry('apps/worker/src/main.js'),
      testEnvironment(database.url, 'worker_queues', { WORKER_PORT: String(port), LOG_LEVEL: 'info', WORKER_QUEUES: 'otp-email' }),
    );
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/health/live`, 200, 20_000)).toBe(200);
      expect(worker.stdout()).toMatch(/serving queues otp-email"/);
    } finally {
      await worker.stop();
      await dropDatabase(database.name);
    }
  });
});

describe('worker and a database that stops answering', () => {
  it('takes its subscriptions up again after their connections went half-open: codes keep going out', async () => {
    // The worker reaches PostgreSQL through a proxy that freezes every connection (open, silent:
    // a failover or a NAT that forgot the connection); the API talks to it directly.
    const postgres = new TcpProxy('127.0.0.1', 5432);
    await postgres.start();
    const api = await startApi('worker_halfopen');
    const proxied = new URL(api.database.url);
    proxied.host = `${postgres.address.host}:${postgres.address.port}`;
    const port = await freePort();
    const worker = runNode(
      builtEntry('apps/worker/src/main.js'),
      testEnvironment(proxied.toString(), 'worker_halfopen', { WORKER_PORT: String(port), LOG_LEVEL: 'info', DATABASE_QUERY_TIMEOUT_SECONDS: '2' }),
    );
    const delivered = async (challengeId: string, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const { rows } = await api.pg.query(`SELECT 1 FROM events WHERE stream_id = $1 AND type = 'login.otp_delivered'`, [`login-${challengeId}`]);
        if (rows.length > 0) return true;
        await new Promise((r) => setTimeout(r, 200));
      }
      return false;
    };
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/health/live`, 200, 20_000)).toBe(200);
      const user = await signUp(api.http);
      const first = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
      expect(await delivered(first.body.challengeId, 20_000)).toBe(true);
      postgres.freeze();
      await new Promise((r) => setTimeout(r, 1000));
      postgres.thaw();
      // A code committed after the freeze: the relay's frozen statement times out (2 s), its
      // connection is dropped, the server ends the silent session (4 s idle) and its lock with it,
      // and the relay, connected again, sends the code.
      const second = await api.http.post('/auth/login').send({ login: user.username, password: user.password }).expect(200);
      expect(await delivered(second.body.challengeId, 40_000)).toBe(true);
    } finally {
      await worker.stop('SIGKILL');
      await postgres.stop();
      await api.close();
    }
  }, 90_000);
});

describe('worker and Redis out of reach', () => {
  it('logs that Redis is unreachable as a few JSON warnings, not a stream of stack traces, and says when it is back', async () => {
    const database = await createTestDatabase('worker_noredis');
    const target = new URL(testEnvironment(database.url, 'worker_noredis').REDIS_URL);
    // A closed port now, Redis behind it later.
    const redis = new TcpProxy(target.hostname, Number(target.port || 6379));
    await redis.start();
    await redis.cut();
    const port = await freePort();
    const worker = runNode(
      builtEntry('apps/worker/src/main.js'),
      testEnvironment(database.url, 'worker_noredis', { WORKER_PORT: String(port), LOG_LEVEL: 'info', REDIS_URL: `redis://127.0.0.1:${redis.address.port}` }),
    );
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/health/live`, 200, 20_000)).toBe(200);
      await new Promise((r) => setTimeout(r, 5000));
      // ioredis and BullMQ print unwatched errors as `Error: connect ECONNREFUSED …` and a stack, ~20 a second.
      expect(worker.output()).not.toMatch(/Error: connect/);
      expect(worker.output()).not.toMatch(/^\s+at /m);
      expect(worker.stderr()).toBe('');
      const lines = worker.stdout().trimEnd().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string });
      const unreachable = lines.filter((line) => line.level === 40 && /Redis (unreachable|unavailable)/.test(line.msg));
      expect(unreachable.length).toBeGreaterThan(0);
      expect(unreachable.length).toBeLessThanOrEqual(5);
      expect(unreachable.map((line) => line.msg)).toContainEqual(expect.stringMatching(/^delivery queues: Redis unreachable \(connect ECONNREFUSED .*\); retrying/));

      await redis.start();
      expect(await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200, 20_000)).toBe(200);
      const deadline = Date.now() + 10_000;
      while (!worker.stdout().includes('delivery queues: Redis reachable again') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(worker.stdout()).toContain('delivery queues: Redis reachable again');
    } finally {
      await worker.stop('SIGKILL');
      await redis.stop();
      await dropDatabase(database.name);
    }
  }, 60_000);
});
