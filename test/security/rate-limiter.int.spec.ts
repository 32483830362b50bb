import type Redis from 'ioredis';
import { REDIS } from '@latchkey/platform';
import { RATE_LIMIT_KEY_PREFIX, RateLimiter, SecurityModule } from '@latchkey/security';
import { startContext, type TestContext } from '@latchkey/testing';

let ctx: TestContext;
let limiter: RateLimiter;
let redis: Redis;

beforeAll(async () => {
  ctx = await startContext('rate-limit', {}, { imports: [SecurityModule.forRoot()] });
  limiter = ctx.app.get(RateLimiter);
  redis = ctx.app.get(REDIS);
});

afterAll(() => ctx.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RateLimiter', () => {
  it('allows exactly the limit out of 20 concurrent hits, and tells the rest when to come back', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => limiter.hit('login:burst', 10, 900)));
    const allowed = results.filter((r) => r.allowed);
    expect(allowed).toHaveLength(10);
    expect(allowed.map((r) => r.count).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const r of allowed.filter((r) => r.count < 10)) expect(r.retryAfterSeconds).toBe(0);
    // The hit that fills the window learns how long the key is now locked, like the refused ones.
    for (const r of [...allowed.filter((r) => r.count === 10), ...results.filter((r) => !r.allowed)]) {
      expect(r.count).toBe(10);
      // The oldest hit leaves the 15-minute window in (just under) 15 minutes.
      expect(r.retryAfterSeconds).toBeGreaterThanOrEqual(899);
      expect(r.retryAfterSeconds).toBeLessThanOrEqual(900);
    }
  });

  it('checks without counting', async () => {
    for (let i = 0; i < 3; i++) expect(await limiter.check('login:look', 2, 60)).toEqual({ allowed: true, count: 0, retryAfterSeconds: 0 });
    await limiter.hit('login:look', 2, 60);
    await limiter.hit('login:look', 2, 60);
    const refused = await limiter.check('login:look', 2, 60);
    expect(refused).toMatchObject({ allowed: false, count: 2 });
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(59);
    expect(await limiter.check('login:look', 3, 60)).toEqual({ allowed: true, count: 2, retryAfterSeconds: 0 });
  });

  it('reserves a place that can be given back, and a refused reservation gives back nothing', async () => {
    const key = 'login:reserve';
    const first = await limiter.reserve(key, 2, 60);
    const second = await limiter.reserve(key, 2, 60);
    expect([first.count, second.count]).toEqual([1, 2]);
    const refused = await limiter.reserve(key, 2, 60);
    expect(refused).toMatchObject({ allowed: false, count: 2 });
    await refused.release();
    expect((await limiter.check(key, 2, 60)).count).toBe(2);
    await first.release();
    expect(await limiter.check(key, 2, 60)).toEqual({ allowed: true, count: 1, retryAfterSeconds: 0 });
    expect((await limiter.reserve(key, 2, 60)).allowed).toBe(true);
  });

  it('counts against every limit or none: a refusal by a later one gives back the earlier places', async () => {
    const user = { key: 'all:user', limit: 5, windowSeconds: 60 };
    const account = { key: 'all:account', limit: 1, windowSeconds: 60 };
    expect((await limiter.hitAll([user, account])).allowed).toBe(true);
    const refused = await limiter.hitAll([user, account]);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(59);
    expect((await limiter.check(user.key, 5, 60)).count).toBe(1);
  });

  it('slides: an event leaves the window exactly one window after it happened, not at a fixed boundary', async () => {
    const key = 'otp:slide';
    expect(await limiter.hit(key, 2, 2)).toEqual({ allowed: true, count: 1, retryAfterSeconds: 0 }); // t = 0
    await sleep(1200);
    expect((await limiter.hit(key, 2, 2)).allowed).toBe(true); // t = 1.2
    const refused = await limiter.hit(key, 2, 2);
    expect(refused).toEqual({ allowed: false, count: 2, retryAfterSeconds: 1 }); // the first leaves at t = 2
    await sleep(1000);
    // t = 2.2: the first hit has left, the second (t = 1.2) still counts and leaves at t = 3.2.
    expect(await limiter.hit(key, 2, 2)).toEqual({ allowed: true, count: 2, retryAfterSeconds: 1 });
    expect((await limiter.hit(key, 2, 2)).allowed).toBe(false);
  });

  it('does not let refused attempts prolong the lockout', async () => {
    const key = 'reset:ip';
    await limiter.hit(key, 1, 1);
    for (let i = 0; i < 5; i++) expect((await limiter.hit(key, 1, 1)).allowed).toBe(false);
    await sleep(1100);
    expect((await limiter.hit(key, 1, 1)).allowed).toBe(true);
    expect(await redis.zcard(RATE_LIMIT_KEY_PREFIX + key)).toBe(1);
  });

  it('keeps its keys only as long as the window, so idle keys disappear from Redis by themselves', async () => {
    const key = 'login:expiring';
    await limiter.hit(key, 5, 1);
    const ttl = await redis.pttl(RATE_LIMIT_KEY_PREFIX + key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000);
    await sleep(1100);
    expect(await redis.exists(RATE_LIMIT_KEY_PREFIX + key)).toBe(0);
    expect(await limiter.check(key, 5, 1)).toEqual({ allowed: true, count: 0, retryAfterSeconds: 0 });
  });

  it('forgets a key on reset (an admin unlock)', async () => {
    const key = 'login:locked';
    for (let i = 0; i < 3; i++) await limiter.hit(key, 3, 900);
    expect((await limiter.check(key, 3, 900)).allowed).toBe(false);
    await limiter.reset(key);
    expect(await limiter.check(key, 3, 900)).toEqual({ allowed: true, count: 0, retryAfterSeconds: 0 });
    expect((await limiter.hit(key, 3, 900)).count).toBe(1);
  });

  it('keeps keys apart, under the run prefix of this process', async () => {
    await limiter.hit('login:alice', 1, 60);
    expect((await limiter.hit('login:alice', 1, 60)).allowed).toBe(false);
    expect((await limiter.hit('login:bob', 1, 60)).allowed).toBe(true);
    // ioredis does not prefix KEYS patterns: a key found under its full name is stored under the prefix.
    const full = (key: string) => `${ctx.config.redis.prefix}${RATE_LIMIT_KEY_PREFIX}${key}`;
    expect(await redis.keys(full('login:alice'))).toEqual([full('login:alice')]);
    expect(await redis.keys(full('login:bob'))).toEqual([full('login:bob')]);
  });

  it('refuses nonsense limits instead of silently allowing everything', async () => {
    await expect(limiter.hit('x', 0, 60)).rejects.toThrow(RangeError);
    await expect(limiter.hit('x', 1.5, 60)).rejects.toThrow(RangeError);
    await expect(limiter.hit('x', 1, 0)).rejects.toThrow(RangeError);
    await expect(limiter.hit('', 1, 60)).rejects.toThrow(RangeError);
  });
});
