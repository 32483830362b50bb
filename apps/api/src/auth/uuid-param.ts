import { ParseUUIDPipe } from '@nestjs/common';
import { RequestValidationError } from '@latchkey/platform';

/** A path id that must be a UUID: 400 /problems/validation naming the parameter otherwise. */
export function uuidParam(name: string): ParseUUIDPipe {
  return new ParseUUIDPipe({ exceptionFactory: () => new RequestValidationError([{ field: name, message: `${name} must be a UUID` }]) });
}
