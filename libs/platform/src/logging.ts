import type { LoggerService } from '@nestjs/common';
import type { AppConfig } from '@latchkey/config';
import pino, { type DestinationStream, type LoggerOptions, type Logger as PinoLogger } from 'pino';

/** Field names whose values are secrets wherever they appear in a logged object. */
export const SECRET_FIELDS = [
  'password',
  'newPassword',
  'currentPassword',
  'code',
  'otp',
  'token',
  'accessToken',
  'refreshToken',
  'deviceToken',
  'idToken',
  'clientSecret',
  'apiKey',
  'secret',
  'SAMLResponse',
  'authorization',
  'cookie',
];

/**
 * Query parameters whose values are masked in logged URLs, compared without regard to case:
 * reset links, OAuth and SAML callbacks, and secrets a client wrongly sent in a query string
 * (a password in a URL would otherwise land in the request log).
 */
export const SECRET_QUERY_PARAMETERS = [
  'token',
  'code',
  'otp',
  'state',
  'password',
  'newPassword',
  'currentPassword',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'deviceToken',
  'clientSecret',
  'client_secret',
  'apiKey',
  'secret',
  'SAMLResponse',
  'SAMLRequest',
  'RelayState',
];

const SECRET_QUERY = new RegExp(`([?&](?:${SECRET_QUERY_PARAMETERS.join('|')})=)[^&#]*`, 'gi');

export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(SECRET_QUERY, '$1[redacted]');
}

const SECRET_KEYS = new Set(SECRET_FIELDS.map((f) => f.toLowerCase()).concat(['x-device-token', 'set-cookie']));
const MAX_DEPTH = 8;

/**
 * A copy of a logged object with every secret field replaced, at any depth (arrays included).
 * pino runs it on each line as it is written; unlike pino's path-based `redact`, it costs
 * nothing when a request logger is created and needs no list of paths to keep up to date.
 */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => scrubSecrets(item, depth + 1));
  // Class instances (requests, responses, errors, dates, buffers) go to their serializers as they are.
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEYS.has(key.toLowerCase()) ? '[redacted]' : scrubSecrets(item, depth + 1);
  }
  return out;
}

/** The process logger: JSON lines on stdout, secrets scrubbed from every line by the formatter. */
export function createLogger(config: Pick<AppConfig, 'logLevel'>, app: string, destination?: DestinationStream): PinoLogger {
  const options: LoggerOptions = {
    name: `latchkey-${app}`,
    level: config.logLevel,
    formatters: { log: (object: Record<string, unknown>) => scrubSecrets(object) as Record<string, unknown> },
    serializers: { err: pino.stdSerializers.err },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * The logger of a one-off command (`keys:rotate`, `projections:rebuild`): JSON lines as the apps
 * write them, but on stderr, so that stdout holds only the command's result; and warnings and
 * errors only (unless LOG_LEVEL asks for fewer): Nest's start-up lines say nothing to an operator
 * running a command. Written synchronously, so a line is out before the command exits.
 */
export function createCommandLogger(config: Pick<AppConfig, 'logLevel'>, command: string): PinoLogger {
  const level = pino.levels.values[config.logLevel] ?? Number.POSITIVE_INFINITY; // silent has no number
  return createLogger({ logLevel: level >= pino.levels.values.warn ? config.logLevel : 'warn' }, command, pino.destination({ fd: 2, sync: true }));
}

/** Nest's logger interface over the process's pino logger, so framework and app lines share one format. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: PinoLogger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  /** Nest passes (message, context) or (message, stack, context); objects are merged into the line. */
  private write(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', message: unknown, rest: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const stack = rest.length > 1 && typeof rest[0] === 'string' ? (rest[0] as string) : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (stack && level === 'error') fields.stack = stack;
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (message !== null && typeof message === 'object') {
      const { msg, ...object } = message as Record<string, unknown>;
      this.logger[level]({ ...fields, ...object }, typeof msg === 'string' ? msg : undefined);
    } else this.logger[level](fields, String(message));
  }
}
