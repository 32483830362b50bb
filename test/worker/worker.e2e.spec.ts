import { builtEntry, createTestDatabase, dropDatabase, freePort, runNode, testEnvironment, waitForStatus } from '@latchkey/testing';

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
