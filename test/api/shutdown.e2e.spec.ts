import { request as httpRequest } from 'node:http';
import { Client } from 'pg';
import { builtEntry, freePort, runNode, signUp, startApi, testEnvironment, waitForStatus, type RunningProcess, type TestApi } from '@latchkey/testing';

/**
 * Graceful shutdown of the API process: SIGTERM while a request is being handled. The request's
 * client has hung up (a load balancer gave up, a browser tab closed), so closing the server does
 * not wait for it; the handler still runs and still needs the database.
 */
const LABEL = 'api_shutdown';
let api: TestApi;
let child: RunningProcess | undefined;

beforeAll(async () => {
  // In-process API: the database, and sign-ups without a second process.
  api = await startApi(LABEL);
});

afterAll(async () => {
  if (child?.child.exitCode === null) await child.stop('SIGKILL');
  await api?.close();
});

async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the API said:\n${child?.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function startChild(): Promise<number> {
  const port = await freePort();
  child = runNode(builtEntry('apps/api/src/main.js'), testEnvironment(api.database.url, LABEL, { PORT: String(port), LOG_LEVEL: 'info' }));
  expect(await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200, 30_000)).toBe(200);
  return port;
}

/**
 * Holds the users read model locked (so the API's work waits on it mid-way), runs `inFlight`,
 * waits until the API is stuck on the lock, sends SIGTERM, then lets the work go on.
 */
async function stopWhileWaitingOnUsers(inFlight: () => Promise<void>): Promise<void> {
  const locker = new Client({ connectionString: api.database.url });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE read.users IN ACCESS EXCLUSIVE MODE');
    await inFlight();
    await until(async () => {
      const { rows } = await api.pg.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name LIKE 'latchkey-api%'`,
      );
      return rows[0].n > 0;
    }, 'the API to wait on the lock');
    child!.child.kill('SIGTERM');
    await until(async () => child!.output().includes('SIGTERM received'), 'the API to start stopping');
    await new Promise((r) => setTimeout(r, 300));
    await locker.query('COMMIT');
  } finally {
    await locker.end();
  }
}

describe('SIGTERM', () => {
  it('lets a request whose client hung up finish its work before the database closes, then exits 0', async () => {
    const user = await signUp(api.http);
    const port = await startChild();
    // The login's read of the users waits on the lock; its client hangs up meanwhile.
    const login = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/auth/login', headers: { 'content-type': 'application/json' } });
    login.on('error', () => undefined);
    await stopWhileWaitingOnUsers(async () => {
      login.end(JSON.stringify({ login: user.email, password: user.password }));
    });
    login.destroy();

    const { code } = await child!.exited;
    expect(code).toBe(0);
    // The login was decided and recorded: a code is waiting for this new device.
    const { rows } = await api.pg.query(`SELECT type FROM events WHERE data->>'userId' = $1 AND type LIKE 'login.%' ORDER BY global_position`, [user.userId]);
    expect(rows.map((r) => r.type)).toEqual(expect.arrayContaining(['login.attempted', 'login.otp_challenge_issued']));
    expect(child!.output()).not.toContain('"level":50');
    expect(child!.output()).not.toContain('unanswered');
  });

  it('finishes a forgot-password request it already answered (202) before the database closes', async () => {
    const user = await signUp(api.http);
    const port = await startChild();
    // 202 comes at once; the lookup of the login and the reset link happen after the answer.
    await stopWhileWaitingOnUsers(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/auth/password/forgot`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: user.email }),
      });
      expect(res.status).toBe(202);
    });
    const { code } = await child!.exited;
    expect(code).toBe(0);
    const { rows } = await api.pg.query(`SELECT type FROM events WHERE data->>'userId' = $1 AND type = 'reset.requested'`, [user.userId]);
    expect(rows).toHaveLength(1);
    expect(child!.output()).not.toContain('"level":50');
  });
});
