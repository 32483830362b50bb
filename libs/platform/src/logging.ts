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

/** pino redaction paths: the secret fields at the top level and up to three levels deep. */
export function redactionPaths(): string[] {
  const paths: string[] = [
    'req.headers.authorization',
    'req.headers.cookie',
    'req.headers["x-device-token"]',
    'res.headers["set-cookie"]',
  ];
  for (const field of SECRET_FIELDS) {
    const key = /^[A-Za-z_$][\w$]*$/.test(field) ? field : `["${field}"]`;
    paths.push(key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`);
  }
  return paths;
}

/** Logger options shared by both apps: JSON lines, request ids, secrets redacted by configuration. */
export function loggerOptions(config: Pick<AppConfig, 'logLevel'>, app: 'api' | 'worker'): Params {
  return {
    pinoHttp: {
      name: `latchkey-${app}`,
      level: config.logLevel,
      redact: { paths: redactionPaths(), censor: '[redacted]' },
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
