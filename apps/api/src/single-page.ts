import { RequestValidationError } from '@latchkey/platform';

/**
 * For lists that answer everything in one page (`nextCursor: null`): no cursor is ever issued,
 * so any cursor sent is not one of ours — 400, as API.md has it for an unparsable cursor.
 */
export function refuseCursor(cursor: string | undefined): void {
  if (cursor !== undefined) throw new RequestValidationError([{ field: 'cursor', message: 'cursor is not valid' }]);
}
