import { isPostgresUnreachable } from '@latchkey/event-store';

/**
 * Whether an error says that PostgreSQL or Redis could not be reached or did not answer (as
 * opposed to refusing a statement or a command): the caller gets 503 `/problems/unavailable`
 * with a `Retry-After`, not a 500 — the request was fine, and trying again later may succeed.
 * Recognised by shape, so that this library needs no Redis driver types.
 */
export function isDependencyOutage(error: unknown): boolean {
  if (isPostgresUnreachable(error)) return true;
  if (!error || typeof error !== 'object') return false;
  const { name, message } = error as { name?: unknown; message?: unknown };
  if (name === 'MaxRetriesPerRequestError') return true; // ioredis: Redis did not come back within the request's retries
  return typeof message === 'string' && REDIS_MESSAGES.some((m) => message.startsWith(m));
}

/** How long a client should wait before trying again after a dependency outage. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

const REDIS_MESSAGES = ['Connection is closed.', "Stream isn't writeable and enableOfflineQueue options is false"];
