import * as argon2 from 'argon2';
import { performance } from 'node:perf_hooks';
import { HashingBusyError, PasswordHasher, SecurityModule } from '@latchkey/security';
import { startContext, type TestContext } from '@latchkey/testing';

let ctx: TestContext;
let hasher: PasswordHasher;

beforeAll(async () => {
  ctx = await startContext('hasher', {}, { imports: [SecurityModule.forRoot()], env: { PASSWORD_HASH_CONCURRENCY: '2' } });
  hasher = ctx.app.get(PasswordHasher);
});

afterAll(() => ctx.close());

const password = 'correct horse battery staple';

describe('PasswordHasher', () => {
  it('stores argon2id with the OWASP parameters and verifies only the right password', async () => {
    const hash = await hasher.hash(password);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(hash).not.toContain(password);
    expect(await hasher.hash(password)).not.toBe(hash); // salted
    expect(await hasher.verify(hash, password)).toBe(true);
    expect(await hasher.verify(hash, 'correct horse battery stapler')).toBe(false);
    expect(hasher.needsRehash(hash)).toBe(false);
  });

  it('matches a password typed in another Unicode form (NFKC), e.g. on another keyboard', async () => {
    const composed = 'Grüße aus Zagreb 2026';
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    expect(await hasher.verify(await hasher.hash(composed), decomposed)).toBe(true);
  });

  it('asks for a rehash of hashes made with older or weaker parameters', async () => {
    const weaker = await argon2.hash(password, { type: argon2.argon2id, memoryCost: 4096, timeCost: 3, parallelism: 1 });
    const argon2i = await argon2.hash(password, { type: argon2.argon2i, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(await hasher.verify(weaker, password)).toBe(true); // still logs in …
    expect(hasher.needsRehash(weaker)).toBe(true); // … and gets upgraded
    expect(hasher.needsRehash(argon2i)).toBe(true);
    expect(hasher.needsRehash('$2b$10$abcdefghijklmnopqrstuuKxYvZ0OGFHxeOw7Tzzv0pJmvzX/pY6')).toBe(true);
  });

  it('answers HashingBusyError at once when every slot is taken, while the admitted ones finish', async () => {
    const hash = await hasher.hash(password);
    const settled: string[] = [];
    const started = performance.now();
    const attempts = Array.from({ length: 6 }, (_, i) =>
      hasher.verify(hash, password).then(
        (ok) => {
          settled.push(`ok${i}`);
          return { ok, ms: performance.now() - started };
        },
        (error: unknown) => {
          settled.push(`busy${i}`);
          return { error, ms: performance.now() - started };
        },
      ),
    );
    const results = await Promise.all(attempts);
    const admitted = results.filter((r) => 'ok' in r);
    const refused = results.filter((r) => 'error' in r);
    expect(admitted).toEqual([expect.objectContaining({ ok: true }), expect.objectContaining({ ok: true })]);
    expect(refused).toHaveLength(4);
    for (const r of refused) {
      expect(r.error).toBeInstanceOf(HashingBusyError);
      expect((r.error as HashingBusyError).code).toBe('hashing_busy');
      expect((r.error as HashingBusyError).details).toEqual({ retryAfterSeconds: 1 });
      expect((r.error as Error).message).not.toContain(password);
    }
    // Refused without waiting: every refusal came before the first admitted verification finished.
    expect(settled.slice(0, 4).every((s) => s.startsWith('busy'))).toBe(true);
    expect(Math.max(...refused.map((r) => r.ms))).toBeLessThan(Math.min(...admitted.map((r) => r.ms)));
    // The slots are free again afterwards, and a dummy verification counts as a slot too.
    expect(hasher.load).toEqual({ inFlight: 0, limit: 2 });
    const again = await Promise.allSettled([hasher.verifyDummy(password), hasher.verify(hash, password), hasher.hash(password)]);
    expect(again.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((again[2] as PromiseRejectedResult).reason).toBeInstanceOf(HashingBusyError);
  });

  it('spends as long on an unknown user (dummy hash) as on a wrong password', async () => {
    const stored = await hasher.hash(password);
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const dummy: number[] = [];
    const wrong: number[] = [];
    await hasher.verifyDummy('warm-up password'); // the first call pays for loading the native code
    for (let i = 0; i < 9; i++) {
      let t = performance.now();
      expect(await hasher.verifyDummy(`guess number ${i}`)).toBe(false);
      dummy.push(performance.now() - t);
      t = performance.now();
      expect(await hasher.verify(stored, `guess number ${i}`)).toBe(false);
      wrong.push(performance.now() - t);
    }
    const ratio = median(dummy) / median(wrong);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  it('fails on a corrupt stored hash with an error that does not contain the password', async () => {
    for (const corrupt of ['$argon2id$garbage', 'not a hash', '']) {
      const error = await hasher.verify(corrupt, password).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toBe('the stored password hash is not a readable argon2 hash');
    }
    expect(hasher.load.inFlight).toBe(0);
  });
});
