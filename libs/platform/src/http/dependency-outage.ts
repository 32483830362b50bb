/**
 * Whether an error says that PostgreSQL or Redis could not be reached or did not answer (as
 * opposed to refusing a statement or a command): the caller gets 503 `/problems/unavailable`
 * with a `Retry-After`, not a 500 — the request was fine, and trying again later may succeed.
 * Recognised by shape (SQLSTATE classes, socket error codes, the drivers' messages), so that
 * this library needs neither driver.
 */
export function isDependencyOutage(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof code === 'string') {
    // PostgreSQL: connection exceptions (class 08), shutting down or starting (57P01-57P03), too many connections.
    if (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code) || code === '53300') return true;
    if (SOCKET_ERRORS.has(code)) return true;
  }
  if (name === 'MaxRetriesPerRequestError') return true; // ioredis: Redis did not come back within the request's retries
  return typeof message === 'string' && DRIVER_MESSAGES.some((m) => message.startsWith(m));
}

/** How long a client should wait before trying again after a dependency outage. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

const DRIVER_MESSAGES = [
  // node-postgres
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  // ioredis
  'Connection is closed.',
  "Stream isn't writeable and enableOfflineQueue options is false",
];
