import { builtEntry, createTestDatabase, dropDatabase, freePort, runNode, testEnvironment, waitForStatus } from '@latchkey/testing';

/** What an operator finds in the API's log: one JSON line per request, secrets replaced. */
describe('request logs', () => {
  it('carry the correlation id and never the credentials a request carried', async () => {
    const database = await createTestDatabase('logs');
    const port = await freePort();
    const api = runNode(builtEntry('apps/api/src/main.js'), testEnvironment(database.url, 'logs', { PORT: String(port), LOG_LEVEL: 'info' }));
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/health/live`, 200, 20_000)).toBe(200);
      const res = await fetch(`http://127.0.0.1:${port}/nothing/here?token=url-secret-1&page=2`, {
        headers: {
          Authorization: 'Bearer header-secret-2',
          Cookie: 'lk_device=cookie-secret-3',
          'X-Device-Token': 'device-secret-4',
          'X-Correlation-Id': 'log-test-correlation',
        },
      });
      expect(res.status).toBe(404);
      // A client that puts a password in the URL (a form sent with GET).
      const wrong = await fetch(`http://127.0.0.1:${port}/auth/login?login=ana&Password=url-secret-5&access_token=url-secret-6`, {
        headers: { 'X-Correlation-Id': 'log-test-query-password' },
      });
      expect(wrong.status).toBe(404);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await api.stop();
      await dropDatabase(database.name);
    }
    const lines = api
      .stdout()
      .split('\n')
      .filter((l) => l.includes('log-test-correlation'));
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]);
    expect(entry).toMatchObject({ req: { method: 'GET', url: '/nothing/here?token=[redacted]&page=2' }, res: { statusCode: 404 } });
    const passwordLine = api
      .stdout()
      .split('\n')
      .find((l) => l.includes('log-test-query-password'));
    expect(JSON.parse(passwordLine!)).toMatchObject({ req: { url: '/auth/login?login=ana&Password=[redacted]&access_token=[redacted]' } });
    for (const secret of ['url-secret-1', 'header-secret-2', 'cookie-secret-3', 'device-secret-4', 'url-secret-5', 'url-secret-6']) {
      expect(api.output()).not.toContain(secret);
    }
  });
});
