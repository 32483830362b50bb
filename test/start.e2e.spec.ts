import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { apiNodeEnvironment } from '@latchkey/platform';
import { Client } from 'pg';
import { builtEntry, currentRun, dropDatabase, freePort, freshDatabaseName, runNode, testEnvironment, waitForStatus } from '@latchkey/testing';

async function databaseExists(name: string): Promise<boolean> {
  const admin = new URL(currentRun().baseDatabaseUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    return (await client.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)]).toString().trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** `npm start` = build, then this entry: it must create the database, migrate, and run both processes. */
describe('npm start', () => {
  jest.setTimeout(90_000);

  it('creates and migrates a missing database, serves API and worker health, and Ctrl-C stops both', async () => {
    const { url, name } = freshDatabaseName('start');
    const [apiPort, workerPort] = [await freePort(), await freePort()];
    const start = runNode(builtEntry('scripts/start.js'), testEnvironment(url, 'start', { PORT: String(apiPort), WORKER_PORT: String(workerPort) }));
    try {
      expect(await waitForStatus(`http://127.0.0.1:${apiPort}/health/ready`, 200, 60_000)).toBe(200);
      expect(await waitForStatus(`http://127.0.0.1:${workerPort}/health/ready`, 200, 30_000)).toBe(200);
      expect(await databaseExists(name)).toBe(true);
      expect(start.stdout()).toContain(`created database ${name}`);
      const children = childrenOf(start.child.pid!);
      expect(children).toHaveLength(2);
      // The API runs with its memory flags and a thread pool sized for password hashing.
      const api = children.find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('apps/api/'))!;
      expect(readFileSync(`/proc/${api}/cmdline`, 'utf8').split('\0')).toContain('--max-old-space-size=160');
      const environment = readFileSync(`/proc/${api}/environ`, 'utf8').split('\0');
      expect(environment).toContain('MALLOC_ARENA_MAX=2');
      // PASSWORD_HASH_CONCURRENCY at its default; the sizing rule itself is unit-tested beside it.
      expect(environment).toContain(`UV_THREADPOOL_SIZE=${apiNodeEnvironment(8, {}).UV_THREADPOOL_SIZE}`);

      const { code } = await start.stop('SIGINT');
      expect(code).toBe(0);
      for (const pid of children) expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      await start.stop('SIGKILL');
      await dropDatabase(name);
    }
  });

  it('runs only the API with `npm run start:api`, started the same way', async () => {
    const { url, name } = freshDatabaseName('start_api');
    const [apiPort, workerPort] = [await freePort(), await freePort()];
    const start = runNode(builtEntry('scripts/start.js'), testEnvironment(url, 'start', { PORT: String(apiPort), WORKER_PORT: String(workerPort) }), ['api']);
    try {
      expect(await waitForStatus(`http://127.0.0.1:${apiPort}/health/ready`, 200, 60_000)).toBe(200);
      const children = childrenOf(start.child.pid!);
      expect(children).toHaveLength(1);
      expect(readFileSync(`/proc/${children[0]}/cmdline`, 'utf8').split('\0')).toContain('--max-old-space-size=160');
      expect(readFileSync(`/proc/${children[0]}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=2');
      expect(await waitForStatus(`http://127.0.0.1:${workerPort}/health/live`, 200, 500)).toBe('unreachable');
      const { code } = await start.stop('SIGINT');
      expect(code).toBe(0);
    } finally {
      await start.stop('SIGKILL');
      await dropDatabase(name);
    }
  });

  it('refuses to start something it does not know, before touching the database', async () => {
    const { url, name } = freshDatabaseName('start_unknown');
    const start = runNode(builtEntry('scripts/start.js'), testEnvironment(url, 'start', {}), ['scheduler']);
    const { code } = await start.exited;
    expect(code).toBe(1);
    expect(start.stderr()).toContain('cannot start "scheduler": name api or worker, or nothing for both');
    expect(await databaseExists(name)).toBe(false);
  });

  it('reports a process that dies, stops the other, and exits non-zero', async () => {
    const { url, name } = freshDatabaseName('start_crash');
    const [apiPort, workerPort] = [await freePort(), await freePort()];
    const start = runNode(builtEntry('scripts/start.js'), testEnvironment(url, 'start', { PORT: String(apiPort), WORKER_PORT: String(workerPort) }));
    try {
      expect(await waitForStatus(`http://127.0.0.1:${workerPort}/health/ready`, 200, 60_000)).toBe(200);
      expect(await waitForStatus(`http://127.0.0.1:${apiPort}/health/ready`, 200, 30_000)).toBe(200);
      const workerPid = childrenOf(start.child.pid!).find((pid) =>
        execFileSync('ps', ['-o', 'args=', '-p', String(pid)]).toString().includes('worker'),
      );
      expect(workerPid).toBeDefined();
      process.kill(workerPid!, 'SIGKILL');
      const { code } = await start.exited;
      expect(code).toBe(1);
      expect(start.stderr()).toMatch(/worker exited unexpectedly \(SIGKILL\)/);
      expect(await waitForStatus(`http://127.0.0.1:${apiPort}/health/live`, 200, 500)).toBe('unreachable');
    } finally {
      await start.stop('SIGKILL');
      await dropDatabase(name);
    }
  });
});
