import { TcpProxy, loginWithCode, signUp, startApi, type TestApi } from '@latchkey/testing';

/**
 * PostgreSQL or Redis away (a TCP proxy in front of each, cut and restored): the API answers
 * 503 `/problems/unavailable` with a `Retry-After` — the request was fine and a later one may
 * succeed — never a 500, and never a 401 for a good access token (a client would throw its
 * session away). It recovers by itself when they are back.
 */
describe('dependency outages', () => {
  let api: TestApi;
  let postgres: TcpProxy;
  let redis: TcpProxy;

  beforeAll(async () => {
    postgres = new TcpProxy('127.0.0.1', 5432);
    redis = new TcpProxy('127.0.0.1', 6379);
    await Promise.all([postgres.start(), redis.start()]);
    api = await startApi(
      'outages',
      { REDIS_URL: `redis://${redis.address.host}:${redis.address.port}`, DATABASE_QUERY_TIMEOUT_SECONDS: '2' },
      {
        databaseUrl: (url) => {
          const proxied = new URL(url);
          proxied.host = `${postgres.address.host}:${postgres.address.port}`;
          return proxied.toString();
        },
      },
    );
  });

  afterAll(async () => {
    await Promise.all([postgres.start().catch(() => undefined), redis.start().catch(() => undefined)]);
    await api.close();
    await Promise.all([postgres.stop(), redis.stop()]);
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  function expectUnavailable(res: { status: number; body: { type?: string }; headers: Record<string, string> }): void {
    expect({ status: res.status, type: res.body.type }).toEqual({ status: 503, type: '/problems/unavailable' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.js:\d+|ECONN|postgres|redis/i);
  }

  it('answers 503 while PostgreSQL is away, keeps good tokens good, and recovers', async () => {
    const user = await signUp(api.http);
    const { accessToken, refreshToken } = await loginWithCode(api, user);
    await postgres.cut();
    try {
      expectUnavailable(await api.http.get('/auth/me').set(bearer(accessToken)));
      expectUnavailable(await api.http.post('/auth/token/refresh').send({ refreshToken }));
      expectUnavailable(await api.http.post('/auth/login').send({ login: user.email, password: user.password }));
    } finally {
      await postgres.start();
    }
    await api.http.get('/auth/me').set(bearer(accessToken)).expect(200);
    await api.http.post('/auth/token/refresh').send({ refreshToken }).expect(200);
  });

  it('does not hang on a database that stops answering (half-open connections), and recovers by itself', async () => {
    const user = await signUp(api.http);
    const { accessToken } = await loginWithCode(api, user);
    postgres.freeze();
    const started = Date.now();
    expectUnavailable(await api.http.get('/auth/me').set(bearer(accessToken)));
    // Within the statement timeout (DATABASE_QUERY_TIMEOUT_SECONDS=2 here), not never.
    expect(Date.now() - started).toBeLessThan(10_000);
    postgres.thaw();
    // Each connection that stopped answering is dropped when a statement on it times out; new ones work.
    const deadline = Date.now() + 30_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) status = (await api.http.get('/auth/me').set(bearer(accessToken))).status;
    expect(status).toBe(200);
  });

  it('answers 503 to a login while Redis (the throttles) is away, and recovers', async () => {
    const user = await signUp(api.http);
    await redis.cut();
    try {
      expectUnavailable(await api.http.post('/auth/login').send({ login: user.email, password: user.password }));
    } finally {
      await redis.start();
    }
    const res = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    expect(res.body.status).toBe('otp_required');
  });
});
