import { Injectable } from '@nestjs/common';
import { InjectRedis } from '@latchkey/platform';
import type Redis from 'ioredis';
import { randomBytes } from 'node:crypto';

export interface RateLimitResult {
  /** Whether this event is (for `check`: would be) within the limit. */
  allowed: boolean;
  /** Events counted in the window after this call. */
  count: number;
  /**
   * Whole seconds until one more event would be allowed, after this call: 0 while there is
   * room; for the hit that fills the window, how long the key is now locked; for a refusal,
   * when to come back (the Retry-After).
   */
  retryAfterSeconds: number;
}

/** Key namespace inside the app's Redis prefix. */
export const RATE_LIMIT_KEY_PREFIX = 'rate-limit:';

/**
 * Sliding-window log: one sorted-set member per counted event, scored by Redis server time
 * in milliseconds (one clock for every API instance). Atomic: trims what fell out of the
 * window, counts, and for a hit records the event only when it is within the limit, so
 * refused attempts neither extend a lockout nor grow the set beyond `limit` members.
 * Once the window is full, the retry time is when the oldest event that keeps it full falls
 * out of it.
 */
const SLIDING_WINDOW = `
local key = KEYS[1]
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local record = ARGV[3] == '1'
local member = ARGV[4]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local allowed = 0
if count < limit then
  allowed = 1
  if record then
    redis.call('ZADD', key, now, member)
    redis.call('PEXPIRE', key, window)
    count = count + 1
  end
end
if count < limit then
  return {allowed, count, 0}
end
local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
return {allowed, count, tonumber(oldest[2]) + window - now}
`;

/** A counted event that can be taken back: an attempt counted before its outcome is known. */
export interface Reservation extends RateLimitResult {
  /** Uncounts the event (nothing when it was not allowed, so not counted). */
  release(): Promise<void>;
}

type SlidingWindowCommand = (key: string, windowMs: number, limit: number, record: '0' | '1', member: string) => Promise<[number, number, number]>;

/**
 * Rate limits kept in Redis, shared by every process: login failures per identifier and per
 * IP, OTP sends per user, reset requests per IP. `check` looks without counting; `hit` counts
 * one event if it is allowed; `reserve` counts one that can be taken back (a login attempt,
 * counted as a failure before its password is checked).
 * Keys expire by themselves after a quiet window.
 *
 * Keys are stored as given (under `rate-limit:` and the app's prefix): pass identifiers that
 * are not personal data in clear, e.g. `login:${secretBox.hmac('rate-limit', email)}`.
 */
@Injectable()
export class RateLimiter {
  constructor(@InjectRedis() private readonly redis: Redis) {
    // defineCommand runs the script by its SHA and loads it again if Redis lost it (restart, failover).
    if (!this.commands.latchkeySlidingWindow) redis.defineCommand('latchkeySlidingWindow', { numberOfKeys: 1, lua: SLIDING_WINDOW });
  }

  private get commands(): { latchkeySlidingWindow?: SlidingWindowCommand } {
    return this.redis as unknown as { latchkeySlidingWindow?: SlidingWindowCommand };
  }

  /** The state of `key` as if one more event came now, without counting it. */
  check(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
    return this.evaluate(key, limit, windowSeconds, false);
  }

  /** Counts one event (when within the limit) and says whether it was allowed. */
  hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
    return this.evaluate(key, limit, windowSeconds, true);
  }

  /**
   * Counts one event now (when within the limit), to be released if it turns out not to count:
   * a login attempt is counted as a failure before its password is checked, so attempts sent
   * at once cannot all pass a look taken before any of them failed.
   */
  async reserve(key: string, limit: number, windowSeconds: number): Promise<Reservation> {
    const member = randomBytes(8).toString('hex');
    const result = await this.evaluate(key, limit, windowSeconds, true, member);
    const release = result.allowed ? () => this.redis.zrem(RATE_LIMIT_KEY_PREFIX + key, member).then(() => undefined) : () => Promise.resolve();
    return { ...result, release };
  }

  /**
   * Counts one event against each limit, or against none: the first limit that refuses gives
   * back the places already taken, and its answer is returned (an admin's reset refused by the
   * account's cap must not spend the user's). One command per limit, as many `hit`s would be.
   */
  async hitAll(limits: readonly { key: string; limit: number; windowSeconds: number }[]): Promise<RateLimitResult> {
    const taken: Reservation[] = [];
    for (const { key, limit, windowSeconds } of limits) {
      const place = await this.reserve(key, limit, windowSeconds);
      if (!place.allowed) {
        await Promise.all(taken.map((earlier) => earlier.release()));
        return { allowed: false, count: place.count, retryAfterSeconds: place.retryAfterSeconds };
      }
      taken.push(place);
    }
    return { allowed: true, count: taken.at(-1)?.count ?? 0, retryAfterSeconds: 0 };
  }

  /** Forgets every event of each key (an admin unlock, a successful login), in one command. */
  async reset(...keys: string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys.map((key) => RATE_LIMIT_KEY_PREFIX + key));
  }

  private async evaluate(key: string, limit: number, windowSeconds: number, record: boolean, member = randomBytes(8).toString('hex')): Promise<RateLimitResult> {
    if (key === '') throw new RangeError('a rate limit needs a key');
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('a rate limit is a whole number of at least 1');
    const windowMs = Math.round(windowSeconds * 1000);
    if (!Number.isFinite(windowMs) || windowMs < 1) throw new RangeError('a rate-limit window is a positive number of seconds');
    const [allowed, count, retryMs] = await this.commands.latchkeySlidingWindow!(RATE_LIMIT_KEY_PREFIX + key, windowMs, limit, record ? '1' : '0', member);
    return { allowed: allowed === 1, count, retryAfterSeconds: retryMs > 0 ? Math.max(1, Math.ceil(retryMs / 1000)) : 0 };
  }
}
