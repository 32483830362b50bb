/**
 * `npm start`: create and migrate the database, then run the API and the worker as two
 * processes. Ctrl-C (or SIGTERM) stops both; if either dies, the other is stopped and
 * the exit is reported with its code. `start.js api` or `start.js worker` (`npm run start:api`,
 * `npm run start:worker`) runs only that one, started the same way.
 */
import { environmentVariables, loadConfigOrExit } from '@latchkey/config';
import { databaseName, prepareDatabase } from '@latchkey/event-store';
import { API_NODE_FLAGS, apiNodeEnvironment } from '@latchkey/platform';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const children = new Map<string, ChildProcess>();
let stopping = false;
let exitCode = 0;

function stopAll(signal: NodeJS.Signals): void {
  for (const child of children.values()) if (child.exitCode === null) child.kill(signal);
}

function run(name: string, entry: string, flags: readonly string[] = [], env: Record<string, string> = {}): void {
  const child = spawn(process.execPath, [...flags, join(__dirname, '..', 'apps', name, 'src', entry)], {
    stdio: 'inherit',
    env: { ...environmentVariables(), ...env },
  });
  children.set(name, child);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      process.stderr.write(`latchkey: ${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the others\n`);
      exitCode = 1;
      stopping = true;
      stopAll('SIGTERM');
    }
    if (children.size === 0) process.exit(exitCode);
  });
}

async function main(): Promise<void> {
  const only = process.argv[2];
  if (only !== undefined && only !== 'api' && only !== 'worker') {
    process.stderr.write(`latchkey: cannot start "${only}": name api or worker, or nothing for both\n`);
    process.exit(1);
  }
  const config = loadConfigOrExit();
  const { created, applied } = await prepareDatabase(config);
  if (created) process.stdout.write(`latchkey: created database ${databaseName(config.database.url)}\n`);
  if (applied.length > 0) process.stdout.write(`latchkey: applied migrations ${applied.join(', ')}\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      stopAll(signal === 'SIGINT' ? 'SIGTERM' : signal);
    });
  }
  const running: string[] = [];
  if (only !== 'worker') {
    run('api', 'main.js', API_NODE_FLAGS, apiNodeEnvironment(config.passwordHashConcurrency, environmentVariables()));
    running.push(`API on http://localhost:${config.http.port}`);
  }
  if (only !== 'api') {
    run('worker', 'main.js');
    running.push(`worker health on :${config.worker.port}`);
  }
  process.stdout.write(`latchkey: ${running.join(', ')} (Ctrl-C stops ${only ? 'it' : 'both'})\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`latchkey: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
