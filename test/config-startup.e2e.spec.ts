import { builtEntry, runNode } from '@latchkey/testing';

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
