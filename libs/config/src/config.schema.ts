import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * The environment variables latchkey reads, with their defaults (API.md "Configuration").
 * Values arrive as strings; each field turns its string into the typed value or fails
 * with a message that is safe to print (it never repeats the value: it may be a secret).
 */

/** A duration in seconds, from 1 to `max` (a bound that no sane setting reaches: past it a value is a typo, and timers or dates built from it would overflow). */
const seconds = (fallback: number, max: number) =>
  z
    .string()
    .default(String(fallback))
    .refine((v) => /^\d+$/.test(v.trim()) && Number(v) > 0 && Number(v) <= max, `must be a whole number of seconds from 1 to ${max}`)
    .transform((v) => Number(v));

const HOUR = 3600;
const DAY = 24 * HOUR;

const wholeNumber = (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .default(String(fallback))
    .refine((v) => /^\d+$/.test(v.trim()) && Number(v) > 0 && Number(v) <= max, `must be a whole number from 1 to ${max}`)
    .transform((v) => Number(v));

const port = (fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .refine((v) => /^\d+$/.test(v.trim()) && Number(v) >= 0 && Number(v) <= 65535, 'must be a TCP port (0-65535)')
    .transform((v) => Number(v));

const url = (fallback: string | undefined, protocols: string[]) => {
  const base = fallback === undefined ? z.string() : z.string().default(fallback);
  return base.refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL (${protocols.join(' or ')})`);
};

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const optionalUrl = optionalText.refine((v) => {
  if (v === undefined) return true;
  try {
    return ['http:', 'https:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
}, 'must be an http(s) URL');

/** Names proxy-addr (under Fastify's `trustProxy`) knows for address ranges. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** `true`, `false`, a hop count, or a comma-separated list of addresses, CIDR ranges and range names. */
function isTrustProxy(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === 'false' || /^\d+$/.test(v)) return true;
  const items = v.split(',').map((item) => item.trim());
  return (
    items.length > 0 &&
    items.every((item) => {
      if (PROXY_RANGE_NAMES.includes(item)) return true;
      const [address, mask, ...rest] = item.split('/');
      if (rest.length > 0 || isIP(address) === 0) return false;
      if (mask === undefined) return true;
      // A prefix length from 1, or (IPv4) a dotted netmask such as 255.0.0.0 whose bits are
      // contiguous: what proxy-addr, under Fastify, accepts (it refuses /0 at start).
      if (isIP(address) === 4 && isIP(mask) === 4) {
        return /^1+0*$/.test(mask.split('.').map((octet) => Number(octet).toString(2).padStart(8, '0')).join(''));
      }
      return /^\d{1,3}$/.test(mask) && Number(mask) >= 1 && Number(mask) <= (isIP(address) === 4 ? 32 : 128);
    })
  );
}

/** An email address, alone or as `Name <address>` (what SES takes as a source). */
function isMailbox(value: string): boolean {
  const named = /^[^<>]*<([^<>]+)>$/.exec(value);
  return /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/.test(named ? named[1] : value);
}

const oneOf = <T extends string>(values: readonly [T, ...T[]], fallback: T) =>
  z
    .string()
    .default(fallback)
    .refine((v): v is T => (values as readonly string[]).includes(v), `must be one of ${values.join(', ')}`)
    .transform((v) => v as T);

/** `kid:base64(32 bytes)`, comma separated; the first key encrypts, all of them decrypt. */
const keyring = optionalText.transform((v, ctx) => {
  if (v === undefined) return undefined;
  const keys: { kid: string; key: Buffer }[] = [];
  // Entries are named by their place, never by their text: a key and its id written the wrong
  // way round would otherwise print the key.
  for (const [index, entry] of v.split(',').map((s) => s.trim()).filter(Boolean).entries()) {
    const place = `entry ${index + 1}`;
    const colon = entry.indexOf(':');
    const kid = colon > 0 ? entry.slice(0, colon) : '';
    const material = colon > 0 ? entry.slice(colon + 1) : '';
    const key = Buffer.from(material, 'base64');
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(kid)) {
      ctx.addIssue({ code: 'custom', message: `${place} must be kid:base64key with a kid of 1-64 letters, digits, ".", "_" or "-"` });
      return z.NEVER;
    }
    if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== material.replace(/=+$/, '')) {
      ctx.addIssue({ code: 'custom', message: `${place}: the key must be 32 bytes in base64` });
      return z.NEVER;
    }
    if (keys.some((k) => k.kid === kid)) {
      ctx.addIssue({ code: 'custom', message: `${place} repeats the key id of an earlier entry` });
      return z.NEVER;
    }
    keys.push({ kid, key });
  }
  if (keys.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must list at least one kid:base64key' });
    return z.NEVER;
  }
  return keys;
});

const logLevel = oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info');

export const environmentSchema = z.object({
  NODE_ENV: oneOf(['development', 'production', 'test'] as const, 'development'),
  LOG_LEVEL: logLevel,
  DATABASE_URL: url('postgres://localhost:5432/latchkey', ['postgres:', 'postgresql:']),
  DATABASE_POOL_SIZE: wholeNumber(10, 1000),
  DATABASE_QUERY_TIMEOUT_SECONDS: wholeNumber(30, 3600),
  REDIS_URL: url('redis://localhost:6379', ['redis:', 'rediss:']),
  REDIS_PREFIX: z
    .string()
    .default('latchkey:')
    .refine((v) => /^[A-Za-z0-9_.:-]{1,64}$/.test(v), 'must be 1-64 characters of letters, digits, ".", "_", ":" or "-"'),
  PORT: port(3000),
  WORKER_PORT: port(3001),
  PUBLIC_API_URL: url('http://localhost:3000', ['http:', 'https:']),
  PUBLIC_WEB_URL: url('http://localhost:3000', ['http:', 'https:']),
  TRUST_PROXY: z
    .string()
    .default('loopback')
    .refine(isTrustProxy, 'must be false, true, a hop count or a comma-separated list of proxy addresses, CIDR ranges or loopback/linklocal/uniquelocal'),
  BODY_LIMIT_BYTES: wholeNumber(102400, 10 * 1024 * 1024),
  SHUTDOWN_TIMEOUT_SECONDS: seconds(25, HOUR),
  ENCRYPTION_KEYS: keyring,
  SMS_PROVIDER: oneOf(['console', 'infobip'] as const, 'console'),
  VOICE_PROVIDER: oneOf(['console', 'infobip'] as const, 'console'),
  INFOBIP_BASE_URL: optionalUrl,
  INFOBIP_API_KEY: optionalText,
  INFOBIP_SENDER: optionalText,
  EMAIL_PROVIDER: oneOf(['console', 'ses'] as const, 'console'),
  AWS_REGION: optionalText.refine((v) => v === undefined || /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(v), 'must be an AWS region such as eu-west-1'),
  SES_ENDPOINT: optionalUrl,
  EMAIL_FROM: optionalText.refine((v) => v === undefined || isMailbox(v), 'must be an email address, or "Name <address>"'),
  GOOGLE_CLIENT_ID: optionalText,
  GOOGLE_CLIENT_SECRET: optionalText,
  GOOGLE_ISSUER: url('https://accounts.google.com', ['http:', 'https:']),
  GITHUB_CLIENT_ID: optionalText,
  GITHUB_CLIENT_SECRET: optionalText,
  GITHUB_URL: url('https://github.com', ['http:', 'https:']),
  GITHUB_API_URL: url('https://api.github.com', ['http:', 'https:']),
  OTP_TTL_SECONDS: seconds(300, DAY),
  OTP_MAX_ATTEMPTS: wholeNumber(5, 100),
  OTP_RESEND_COOLDOWN_SECONDS: seconds(30, HOUR),
  DEVICE_TRUST_DAYS: wholeNumber(90, 3650),
  RESET_TOKEN_TTL_SECONDS: seconds(3600, 30 * DAY),
  ACCESS_TOKEN_TTL_SECONDS: seconds(900, DAY),
  REFRESH_TOKEN_TTL_SECONDS: seconds(2592000, 3650 * DAY),
  // Login throttling and abuse limits (beyond API.md; its defaults).
  LOGIN_MAX_FAILURES_PER_LOGIN: wholeNumber(10, 100000),
  LOGIN_MAX_FAILURES_PER_IP: wholeNumber(100, 1000000),
  LOGIN_FAILURE_WINDOW_SECONDS: seconds(900, 7 * DAY),
  OTP_MAX_SENDS_PER_USER_PER_HOUR: wholeNumber(5, 1000),
  PASSWORD_HASH_CONCURRENCY: wholeNumber(8, 1024),
  // Delivery (beyond API.md).
  WORKER_QUEUES: optionalText.refine(
    (v) => v === undefined || v.split(',').every((q) => ['otp-sms', 'otp-voice', 'otp-email', 'email'].includes(q.trim())),
    'must list queues among otp-sms, otp-voice, otp-email, email (comma-separated)',
  ),
  QUEUE_DASHBOARD_USER: optionalText,
  QUEUE_DASHBOARD_PASSWORD: optionalText,
  SMS_ALLOWED_COUNTRIES: optionalText.refine(
    (v) => v === undefined || v.split(',').every((c) => /^[A-Za-z]{2}$/.test(c.trim())),
    'must be ISO 3166-1 alpha-2 country codes, comma-separated (e.g. HR,DE,AT)',
  ),
  OTP_MAX_SENDS_PER_NUMBER_PER_DAY: wholeNumber(10, 100000),
  DELIVERY_TIMEOUT_SECONDS: seconds(10, 300),
  /** First retry delay of every delivery queue (doubles each attempt); unset: the per-queue defaults. */
  DELIVERY_RETRY_DELAY_MS: optionalText.refine((v) => v === undefined || (/^\d+$/.test(v) && Number(v) > 0 && Number(v) <= 3_600_000), 'must be a whole number of milliseconds from 1 to 3600000'),
  /** Provider rate limits: messages per second across all workers, per channel. */
  SMS_RATE_LIMIT_PER_SECOND: wholeNumber(100, 100000),
  VOICE_RATE_LIMIT_PER_SECOND: wholeNumber(10, 100000),
  EMAIL_RATE_LIMIT_PER_SECOND: wholeNumber(14, 100000),
  /** How long a worker's claim on a job lasts; a crashed worker's jobs are retried after it. */
  DELIVERY_JOB_LOCK_SECONDS: seconds(30, HOUR),
});

export type Environment = z.infer<typeof environmentSchema>;

/** Variables that must come together: naming the one that is missing. */
export const requiredTogether: { when: (env: Environment) => boolean; because: string; variables: (keyof Environment)[] }[] = [
  {
    when: (e) => e.SMS_PROVIDER === 'infobip' || e.VOICE_PROVIDER === 'infobip',
    because: 'required when SMS_PROVIDER or VOICE_PROVIDER is infobip',
    variables: ['INFOBIP_BASE_URL', 'INFOBIP_API_KEY'],
  },
  {
    when: (e) => e.SMS_PROVIDER === 'infobip',
    because: 'required when SMS_PROVIDER is infobip (the SMS API needs a sender)',
    variables: ['INFOBIP_SENDER'],
  },
  {
    when: (e) => e.EMAIL_PROVIDER === 'ses',
    because: 'required when EMAIL_PROVIDER is ses',
    variables: ['AWS_REGION', 'EMAIL_FROM'],
  },
  {
    when: (e) => e.GOOGLE_CLIENT_ID !== undefined || e.GOOGLE_CLIENT_SECRET !== undefined,
    because: 'Google login needs both GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET',
    variables: ['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET'],
  },
  {
    when: (e) => e.GITHUB_CLIENT_ID !== undefined || e.GITHUB_CLIENT_SECRET !== undefined,
    because: 'GitHub login needs both GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET',
    variables: ['GITHUB_CLIENT_ID', 'GITHUB_CLIENT_SECRET'],
  },
  {
    when: (e) => e.QUEUE_DASHBOARD_USER !== undefined || e.QUEUE_DASHBOARD_PASSWORD !== undefined,
    because: 'the queue dashboard needs both QUEUE_DASHBOARD_USER and QUEUE_DASHBOARD_PASSWORD',
    variables: ['QUEUE_DASHBOARD_USER', 'QUEUE_DASHBOARD_PASSWORD'],
  },
  {
    when: (e) => e.NODE_ENV === 'production',
    because: 'required in production (development generates a key and keeps it in the database)',
    variables: ['ENCRYPTION_KEYS'],
  },
];
