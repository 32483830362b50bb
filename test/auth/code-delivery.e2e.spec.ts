import { builtEntry, codeOf, freePort, runNode, signUp, startApi, testEnvironment, waitForStatus, type RunningProcess, type TestApi } from '@latchkey/testing';

/**
 * A code reaches the user through the worker: the API appends OtpChallengeIssued, the relay
 * enqueues a BullMQ job, the console provider prints the message. Real processes, real Redis.
 */
let api: TestApi;
let worker: RunningProcess;

beforeAll(async () => {
  api = await startApi('delivery');
  const port = await freePort();
  worker = runNode(builtEntry('apps/worker/src/main.js'), testEnvironment(api.database.url, 'delivery', { WORKER_PORT: String(port), LOG_LEVEL: 'info' }));
  expect(await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200, 20_000)).toBe(200);
});

afterAll(async () => {
  await worker.stop();
  await api.close();
});

async function printed(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = worker
      .stdout()
      .split('\n')
      .find((l) => pattern.test(l));
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`worker never printed ${pattern}; output:\n${worker.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('code delivery', () => {
  it('sends the code by email in the user language, and that code logs the user in', async () => {
    const user = await signUp(api.http, { locale: 'de' });
    const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    const line = await printed(new RegExp(`Email to ${user.email}`));
    const code = /(\d{6})/.exec(JSON.parse(line).msg)![1];
    expect(JSON.parse(line).msg).toContain('Bestätigungscode');
    expect(code).toBe(await codeOf(api, login.body.challengeId));
    await api.http.post('/auth/otp/verify').send({ challengeId: login.body.challengeId, code }).expect(200);
  });

  it('sends by SMS to a user with a phone, and a resend by voice on request, each exactly once', async () => {
    const user = await signUp(api.http, { phone: '+385981112233', locale: 'hr' });
    const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    const sms = await printed(/SMS to \+385981112233/);
    expect(JSON.parse(sms).msg).toContain(await codeOf(api, login.body.challengeId));
    api.clock.advance(31);
    await api.http.post('/auth/otp/resend').send({ challengeId: login.body.challengeId, channel: 'voice' }).expect(202);
    const voice = await printed(/Voice call to \+385981112233 \(hr\)/);
    const spoken = (await codeOf(api, login.body.challengeId)).split('').join(', ');
    expect(JSON.parse(voice).msg).toContain(spoken);
    await new Promise((r) => setTimeout(r, 500));
    expect(worker.stdout().split('\n').filter((l) => l.includes('SMS to +385981112233'))).toHaveLength(1);
  });

  it('keeps codes out of job payloads: jobs carry event references only', async () => {
    const user = await signUp(api.http);
    const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    await printed(new RegExp(`Email to ${user.email}`));
    const code = await codeOf(api, login.body.challengeId);
    const { default: Redis } = await import('ioredis');
    const redis = new Redis(api.config.redis.url);
    try {
      const keys = await redis.keys(`${api.config.redis.prefix}bull:*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        if ((await redis.type(key)) !== 'hash') continue;
        const job = await redis.hgetall(key);
        expect(JSON.stringify(job)).not.toContain(code);
      }
    } finally {
      redis.disconnect();
    }
  });
});
