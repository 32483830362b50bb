import { userInfo } from 'node:os';
import { environmentSchema, requiredTogether, type Environment } from './config.schema';

export interface EncryptionKey {
  kid: string;
  key: Buffer;
}

/** The one typed configuration both apps share; built once at start-up from the environment. */
export class AppConfig {
  readonly env: Environment['NODE_ENV'];
  readonly logLevel: Environment['LOG_LEVEL'];
  /** queryTimeoutMs: how long a statement of the API or the worker may go unanswered (see `dataSourceOptions`). */
  readonly database: { url: string; poolSize: number; queryTimeoutMs: number };
  readonly redis: { url: string; prefix: string };
  readonly http: { port: number; trustProxy: boolean | number | string; bodyLimitBytes: number; shutdownTimeoutMs: number };
  readonly worker: { port: number };
  readonly publicApiUrl: string;
  readonly publicWebUrl: string;
  /** Undefined in development when unset: a key is generated and kept in the database. */
  readonly encryptionKeys: EncryptionKey[] | undefined;
  readonly sms: { provider: Environment['SMS_PROVIDER'] };
  readonly voice: { provider: Environment['VOICE_PROVIDER'] };
  readonly infobip: { baseUrl?: string; apiKey?: string; sender?: string };
  readonly email: { provider: Environment['EMAIL_PROVIDER']; from?: string };
  readonly ses: { region?: string; endpoint?: string };
  readonly google: { clientId?: string; clientSecret?: string; issuer: string };
  readonly github: { clientId?: string; clientSecret?: string; url: string; apiUrl: string };
  readonly otp: { ttlSeconds: number; maxAttempts: number; resendCooldownSeconds: number };
  readonly deviceTrustDays: number;
  readonly resetTokenTtlSeconds: number;
  readonly tokens: { accessTtlSeconds: number; refreshTtlSeconds: number };
  readonly throttle: { maxFailuresPerLogin: number; maxFailuresPerIp: number; failureWindowSeconds: number; maxOtpSendsPerUserPerHour: number };
  /** Password hashes computed at once by one process; past it, requests get 503 at once instead of queueing. */
  readonly passwordHashConcurrency: number;
  readonly delivery: {
    /** Queues this worker process serves; undefined: all of them. */
    queues: string[] | undefined;
    /** Countries (ISO alpha-2, upper case) SMS and voice codes may go to; undefined: any. */
    allowedCountries: string[] | undefined;
    maxSendsPerNumberPerDay: number;
    timeoutMs: number;
    retryDelayMs: number | undefined;
    jobLockMs: number;
    /** Messages per second per channel, across all workers (the providers' limits). */
    ratePerSecond: { sms: number; voice: number; email: number };
  };
  /** Basic-auth pair of the queue dashboard at /ops/queues; undefined: dashboard off. */
  readonly queueDashboard: { user: string; password: string } | undefined;

  constructor(e: Environment) {
    this.env = e.NODE_ENV;
    this.logLevel = e.LOG_LEVEL;
    this.database = { url: withDefaultUser(e.DATABASE_URL), poolSize: e.DATABASE_POOL_SIZE, queryTimeoutMs: e.DATABASE_QUERY_TIMEOUT_SECONDS * 1000 };
    this.redis = { url: e.REDIS_URL, prefix: e.REDIS_PREFIX };
    this.http = {
      port: e.PORT,
      trustProxy: parseTrustProxy(e.TRUST_PROXY),
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    };
    this.worker = { port: e.WORKER_PORT };
    this.publicApiUrl = e.PUBLIC_API_URL.replace(/\/+$/, '');
    this.publicWebUrl = e.PUBLIC_WEB_URL.replace(/\/+$/, '');
    this.encryptionKeys = e.ENCRYPTION_KEYS;
    this.sms = { provider: e.SMS_PROVIDER };
    this.voice = { provider: e.VOICE_PROVIDER };
    this.infobip = { baseUrl: e.INFOBIP_BASE_URL, apiKey: e.INFOBIP_API_KEY, sender: e.INFOBIP_SENDER };
    this.email = { provider: e.EMAIL_PROVIDER, from: e.EMAIL_FROM };
    this.ses = { region: e.AWS_REGION, endpoint: e.SES_ENDPOINT };
    this.google = { clientId: e.GOOGLE_CLIENT_ID, clientSecret: e.GOOGLE_CLIENT_SECRET, issuer: e.GOOGLE_ISSUER };
    this.github = { clientId: e.GITHUB_CLIENT_ID, clientSecret: e.GITHUB_CLIENT_SECRET, url: e.GITHUB_URL, apiUrl: e.GITHUB_API_URL };
    this.otp = {
      ttlSeconds: e.OTP_TTL_SECONDS,
      maxAttempts: e.OTP_MAX_ATTEMPTS,
      resendCooldownSeconds: e.OTP_RESEND_COOLDOWN_SECONDS,
    };
    this.deviceTrustDays = e.DEVICE_TRUST_DAYS;
    this.resetTokenTtlSeconds = e.RESET_TOKEN_TTL_SECONDS;
    this.tokens = { accessTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS, refreshTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS };
    this.throttle = {
      maxFailuresPerLogin: e.LOGIN_MAX_FAILURES_PER_LOGIN,
      maxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      failureWindowSeconds: e.LOGIN_FAILURE_WINDOW_SECONDS,
      maxOtpSendsPerUserPerHour: e.OTP_MAX_SENDS_PER_USER_PER_HOUR,
    };
    this.passwordHashConcurrency = e.PASSWORD_HASH_CONCURRENCY;
    this.delivery = {
      queues: e.WORKER_QUEUES?.split(',').map((q) => q.trim()).filter(Boolean),
      allowedCountries: e.SMS_ALLOWED_COUNTRIES?.split(',').map((c) => c.trim().toUpperCase()).filter(Boolean),
      maxSendsPerNumberPerDay: e.OTP_MAX_SENDS_PER_NUMBER_PER_DAY,
      timeoutMs: e.DELIVERY_TIMEOUT_SECONDS * 1000,
      retryDelayMs: e.DELIVERY_RETRY_DELAY_MS === undefined ? undefined : Number(e.DELIVERY_RETRY_DELAY_MS),
      jobLockMs: e.DELIVERY_JOB_LOCK_SECONDS * 1000,
      ratePerSecond: { sms: e.SMS_RATE_LIMIT_PER_SECOND, voice: e.VOICE_RATE_LIMIT_PER_SECOND, email: e.EMAIL_RATE_LIMIT_PER_SECOND },
    };
    this.queueDashboard =
      e.QUEUE_DASHBOARD_USER && e.QUEUE_DASHBOARD_PASSWORD ? { user: e.QUEUE_DASHBOARD_USER, password: e.QUEUE_DASHBOARD_PASSWORD } : undefined;
    Object.freeze(this);
  }
}

/**
 * libpq falls back to the login name when a URL names no user; node-postgres only to $USER,
 * which service managers often leave unset. Do what psql would do.
 */
function withDefaultUser(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (url.username !== '') return databaseUrl;
  try {
    url.username = encodeURIComponent(userInfo().username);
  } catch {
    return databaseUrl;
  }
  return url.toString();
}

function parseTrustProxy(value: string): boolean | number | string {
  const v = value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (/^\d+$/.test(v)) return Number(v);
  // As validated (config.schema's isTrustProxy): lower case, so `LOOPBACK` is the range name too.
  return v;
}

/**
 * What a configuration allows but an operator should hear about at start (both apps log these
 * as warnings): in production, a `console` provider writes every code or reset link it would
 * send to the worker's log. API.md keeps `console` the default, so it is not an error.
 */
export function configurationWarnings(config: AppConfig): string[] {
  if (config.env !== 'production') return [];
  const warnings: string[] = [];
  if (config.sms.provider === 'console') warnings.push("SMS_PROVIDER is console: one-time codes by SMS are written to the worker's log, not sent; set infobip in production");
  if (config.voice.provider === 'console') warnings.push("VOICE_PROVIDER is console: one-time codes by voice call are written to the worker's log, not sent; set infobip in production");
  if (config.email.provider === 'console') {
    warnings.push("EMAIL_PROVIDER is console: one-time codes, password-reset and invitation links by email are written to the worker's log, not sent; set ses in production");
  }
  return warnings;
}

/** A configuration problem; its message is one line naming every variable at fault. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`invalid configuration: ${problems.map((p) => `${p.variable} ${p.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Builds the configuration from an environment (process.env in the apps, a literal in tests). */
export function loadConfig(source: Record<string, string | undefined>): AppConfig {
  // Empty strings count as unset, so `FOO=` in an .env file means "use the default".
  const raw: Record<string, string> = {};
  for (const key of Object.keys(environmentSchema.shape)) {
    const value = source[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = environmentSchema.safeParse(raw);
  if (!parsed.success) {
    const seen = new Set<string>();
    const problems = parsed.error.issues
      .map((issue) => ({ variable: String(issue.path[0] ?? 'environment'), message: issue.message }))
      .filter((p) => (seen.has(p.variable) ? false : (seen.add(p.variable), true)));
    throw new ConfigError(problems);
  }
  const problems: { variable: string; message: string }[] = [];
  for (const rule of requiredTogether) {
    if (!rule.when(parsed.data)) continue;
    for (const variable of rule.variables) {
      if (parsed.data[variable] === undefined) problems.push({ variable, message: `is missing (${rule.because})` });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return new AppConfig(parsed.data);
}

/**
 * The apps' entry point: the configuration, or one line on stderr naming the variable and
 * exit code 1. This is the only place that reads process.env.
 */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`latchkey: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * The raw environment, for the few places that must pass it on (child processes, test
 * set-up). Application code takes `AppConfig` instead.
 */
export function environmentVariables(): Record<string, string | undefined> {
  return { ...process.env };
}

/** Sets a variable for this process and the processes it starts (test set-up only). */
export function setEnvironmentVariable(name: string, value: string): void {
  process.env[name] = value;
}
