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

describe('SIGTERM', () => {
  it('lets a request whose client hung up finish its work before the database closes, then exits 0', async () => {
    const user = await signUp(api.http);
    const port = await freePort();
    child = runNode(builtEntry('apps/api/src/main.js'), testEnvironment(api.database.url, LABEL, { PORT: String(port), LOG_LEVEL: 'info' }));
    expect(await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200, 30_000)).toBe(200);

    // Hold the login in its handler: its read of the users waits for this lock.
    const locker = new Client({ connectionString: api.database.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE read.users IN ACCESS EXCLUSIVE MODE');
      const login = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/auth/login', headers: { 'content-type': 'application/json' } });
      login.on('error', () => undefined);
      login.end(JSON.stringify({ login: user.email, password: user.password }));
      await until(async () => {
        const { rows } = await api.pg.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name LIKE 'latchkey-api%'`,
        );
        return rows[0].n > 0;
      }, 'the login to wait on the lock');
      login.destroy();
      child.child.kill('SIGTERM');
      await until(async () => child!.output().includes('SIGTERM received'), 'the API to start stopping');
      await new Promise((r) => setTimeout(r, 300));
      await locker.query('COMMIT');
    } finally {
      await locker.end();
    }

    const { code } = await child.exited;
    expect(code).toBe(0);
    // The login was decided and recorded: a code is waiting for this new device.
    const { rows } = await api.pg.query(`SELECT type FROM events WHERE data->>'userId' = $1 AND type LIKE 'login.%' ORDER BY global_position`, [user.userId]);
    expect(rows.map((r) => r.type)).toEqual(expect.arrayContaining(['login.attempted', 'login.otp_challenge_issued']));
    expect(child.output()).not.toContain('"level":50');
    expect(child.output()).not.toContain('unanswered');
  });
});
