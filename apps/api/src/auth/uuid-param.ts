import { ParseUUIDPipe } from '@nestjs/common';
import { NotFoundError } from '@latchkey/identity';

/**
 * A path id, which latchkey always makes a UUID. Anything else names nothing there is: 404
 * /problems/not-found, the same answer as for an unknown or another account's id (API.md), and
 * no database read for it.
 */
export function uuidParam(): ParseUUIDPipe {
  return new ParseUUIDPipe({ exceptionFactory: () => new NotFoundError() });
}
