import type { AppConfig } from '@latchkey/config';
import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import { correlationIdOf } from './correlation-id';

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

/** Query parameters that carry secrets in URLs (reset links, OAuth and SAML callbacks). */
const SECRET_QUERY = /([?&](?:token|code|state|SAMLResponse|SAMLRequest|RelayState|refreshToken|deviceToken)=)[^&#]*/gi;

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

/** Logger options shared by both apps: JSON lines, request ids, secrets redacted by configuration. */
export function loggerOptions(config: Pick<AppConfig, 'logLevel'>, app: 'api' | 'worker'): Params {
  return {
    pinoHttp: {
      name: `latchkey-${app}`,
      level: config.logLevel,
      // Secrets are scrubbed from every line by configuration; request lines carry only the
      // safe fields the serializers below pick (never headers or bodies).
      formatters: { log: (object: Record<string, unknown>) => scrubSecrets(object) as Record<string, unknown> },
      quietReqLogger: true,
      genReqId: (req, res) => correlationIdOf(req, res),
      customAttributeKeys: { reqId: 'correlationId' },
      autoLogging: { ignore: (req: IncomingMessage) => /^\/(health|metrics)(\/|$)/.test(req.url ?? '') },
      serializers: {
        req: (req: { id?: string; method?: string; url?: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          url: redactUrl(req.url),
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
  };
}
