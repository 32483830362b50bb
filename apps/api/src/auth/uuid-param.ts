import { ParseUUIDPipe, type PipeTransform } from '@nestjs/common';
import { NotFoundError } from '@latchkey/identity';

/**
 * A path id, which latchkey always makes a UUID. Anything else names nothing there is: 404
 * /problems/not-found, the same answer as for an unknown or another account's id (API.md), and
 * no database read for it. Upper-case hex is the same id in lower case.
 */
export function uuidParam(): PipeTransform<string, Promise<string>> {
  const pipe = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundError() });
  // Lower case, as ids are stored: `4F0C…` and `4f0c…` are the same id.
  return { transform: async (value, metadata) => (await pipe.transform(value, metadata)).toLowerCase() };
}
