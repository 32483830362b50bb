/**
 * Whether an error says that PostgreSQL could not be reached, went away or did not answer (as
 * opposed to refusing a statement): SQLSTATE class 08, 57P01–57P03 (shutting down, starting),
 * 53300 (too many connections), socket errors, and node-postgres's own messages for a
 * connection that ended, timed out or cannot be used. A pooled connection that failed this way
 * is dropped, not handed to the next caller; the HTTP layer answers 503 for it.
 */
export function isPostgresUnreachable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code) || code === '53300' || SOCKET_ERRORS.has(code))) return true;
  return typeof message === 'string' && PG_MESSAGES.some((m) => message.startsWith(m));
}

const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

const PG_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];
