import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const CORRELATION = Symbol('latchkey.correlationId');
const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;

export const CORRELATION_HEADER = 'x-correlation-id';

/**
 * The request's correlation id: the caller's `X-Correlation-Id` (or `X-Request-Id`) when it
 * is a sane token, else a new UUID. Computed once per request and echoed in the response,
 * so the log line, the CLS context and the event metadata all carry the same id.
 */
export function correlationIdOf(req: IncomingMessage, res?: ServerResponse): string {
  const holder = req as IncomingMessage & { [CORRELATION]?: string };
  let id = holder[CORRELATION];
  if (!id) {
    const offered = req.headers[CORRELATION_HEADER] ?? req.headers['x-request-id'];
    const value = Array.isArray(offered) ? offered[0] : offered;
    id = value && ACCEPTED.test(value) ? value : randomUUID();
    holder[CORRELATION] = id;
  }
  if (res && !res.headersSent && !res.getHeader(CORRELATION_HEADER)) res.setHeader(CORRELATION_HEADER, id);
  return id;
}
