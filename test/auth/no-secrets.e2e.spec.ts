import { Client } from 'pg';
import { SecretBox } from '@latchkey/security';
import {
  GOOD_PASSWORD,
  builtEntry,
  createTestDatabase,
  dropDatabase,
  freePort,
  runNode,
  testConfig,
  testEnvironment,
  unique,
  waitForStatus,
  type RunningProcess,
} from '@latchkey/testing';

/**
 * A whole life of a user over real processes — sign-up, wrong password, code, trusted device,
 * refresh, reuse, logout — then every event and every log line is searched for the secrets
 * that went by. Only the console provider may print a code (it is the local stand-in for SMS).
 */
describe('secrets', () => {
  let database: { url: string; name: string };
  let api: RunningProcess;
  let worker: RunningProcess;
  let base: string;

  beforeAll(async () => {
    database = await createTestDatabase('secrets');
    const [apiPort, workerPort] = [await freePort(), await freePort()];
    const env = testEnvironment(database.url, 'secrets', { PORT: String(apiPort), WORKER_PORT: String(workerPort), LOG_LEVEL: 'debug' });
    api = runNode(builtEntry('apps/api/src/main.js'), env);
    worker = runNode(builtEntry('apps/worker/src/main.js'), env);
    base = `http://127.0.0.1:${apiPort}`;
    expect(await waitForStatus(`${base}/health/ready`, 200, 20_000)).toBe(200);
    expect(await waitForStatus(`http://127.0.0.1:${workerPort}/health/ready`, 200, 20_000)).toBe(200);
  });

  afterAll(async () => {
    await Promise.all([api.stop(), worker.stop()]);
    await dropDatabase(database.name);
  });

  async function post(path: string, payload: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(payload) });
    const body: any = res.status === 204 ? undefined : await res.json();
    return { status: res.status, body, headers: res.headers };
  }

  it('never appear in events, or in logs other than the console provider line', async () => {
    const username = unique('secret');
    const password = `${GOOD_PASSWORD} ${username}`;
    const email = `${username}@example.com`;
    expect((await post('/auth/signup', { accountName: 'Secret Co', email, username, password, phone: '+385991234567' })).status).toBe(201);
    expect((await post('/auth/login', { login: email, password: `${password}!` })).status).toBe(401);
    const login = await post('/auth/login', { login: email, password });
    expect(login.body.status).toBe('otp_required');

    const pg = new Client({ connectionString: database.url });
    await pg.connect();
    const box = new SecretBox(testConfig(database.url, 'secrets').encryptionKeys!);
    const { rows } = await pg.query(`SELECT data FROM events WHERE stream_id = $1 AND type = 'login.otp_challenge_issued'`, [`login-${login.body.challengeId}`]);
    const code = JSON.parse(box.decrypt(rows[0].data.sealed, login.body.challengeId)).code as string;

    const verified = await post('/auth/otp/verify', { challengeId: login.body.challengeId, code });
    expect(verified.status).toBe(200);
    const { accessToken, refreshToken, deviceToken } = verified.body;
    const refreshed = await post('/auth/token/refresh', { refreshToken });
    expect(refreshed.status).toBe(200);
    expect((await post('/auth/token/refresh', { refreshToken })).status).toBe(401);
    await post('/auth/login', { login: email, password, deviceToken });
    await post('/auth/logout', { refreshToken: refreshed.body.refreshToken });
    await new Promise((r) => setTimeout(r, 500));

    const secrets = { password, code, accessToken, refreshToken, newRefreshToken: refreshed.body.refreshToken, deviceToken };
    const all = await pg.query(`SELECT type, data::text AS data, metadata::text AS metadata FROM events`);
    await pg.end();
    expect(all.rows.length).toBeGreaterThan(10);
    for (const [name, secret] of Object.entries(secrets)) {
      const leaks = all.rows.filter((r) => r.data.includes(secret) || r.metadata.includes(secret)).map((r) => r.type);
      expect({ name, leaks }).toEqual({ name, leaks: [] });
    }

    const logLines = [...api.output().split('\n'), ...worker.output().split('\n')].filter(Boolean);
    expect(logLines.length).toBeGreaterThan(10);
    for (const [name, secret] of Object.entries(secrets)) {
      const leaks = logLines.filter((line) => line.includes(secret) && !(name === 'code' && /"context":"Console(Sms|Voice|Email)"/.test(line)));
      expect({ name, leaks }).toEqual({ name, leaks: [] });
    }
  });
});
