import { builtEntry, createTestDatabase, dropDatabase, freePort, runNode, testEnvironment, waitForStatus } from '@latchkey/testing';

/** What an operator sees when the configuration is wrong: exit code 1 and one line naming the variable. */
describe.each([
  ['api', 'apps/api/src/main.js'],
  ['worker', 'apps/worker/src/main.js'],
  ['npm start', 'scripts/start.js'],
])('%s with a bad configuration', (_name, entry) => {
  it.each([
    [{ OTP_TTL_SECONDS: 'five minutes' }, 'OTP_TTL_SECONDS'],
    [{ DATABASE_URL: 'localhost:5432' }, 'DATABASE_URL'],
    [{ NODE_ENV: 'production' }, 'ENCRYPTION_KEYS'],
    [{ EMAIL_PROVIDER: 'ses', AWS_REGION: 'eu-west-1' }, 'EMAIL_FROM'],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY'],
  ])('stops with one line naming the variable (%o)', async (env, variable) => {
    const run = runNode(builtEntry(entry), { LOG_LEVEL: 'info', ...env });
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.stdout()).toBe('');
    const lines = run.stderr().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(variable);
  });
});

/** Production with a console provider is allowed (API.md's default) but said loudly: codes would go to the log. */
describe.each([
  ['api', 'apps/api/src/main.js', 'PORT'],
  ['worker', 'apps/worker/src/main.js', 'WORKER_PORT'],
])('%s in production with console providers', (name, entry, portVariable) => {
  it('warns once at start for each provider that is console, naming it', async () => {
    const database = await createTestDatabase(`console_${name}`);
    const port = await freePort();
    const run = runNode(
      builtEntry(entry),
      testEnvironment(database.url, `console_${name}`, {
        NODE_ENV: 'production',
        LOG_LEVEL: 'info',
        [portVariable]: String(port),
        // SMS and email stay console (the defaults); voice goes to Infobip.
        VOICE_PROVIDER: 'infobip',
        INFOBIP_BASE_URL: 'http://127.0.0.1:9',
        INFOBIP_API_KEY: 'test-key',
      }),
    );
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/health/live`, 200, 20_000)).toBe(200);
    } finally {
      await run.stop();
      await dropDatabase(database.name);
    }
    const warnings = run
      .stdout()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; context?: string; msg: string })
      .filter((line) => line.context === 'Configuration');
    expect(warnings.map((w) => [w.level, w.msg.split(' ')[0]])).toEqual([
      [40, 'SMS_PROVIDER'],
      [40, 'EMAIL_PROVIDER'],
    ]);
    expect(warnings[0].msg).toBe("SMS_PROVIDER is console: one-time codes by SMS are written to the worker's log, not sent; set infobip in production");
  });
});
