import { applyDecorators, ValidationPipe, type ValidationError } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsOptional } from 'class-validator';
import { RequestValidationError, type FieldError } from './problem';

/** Flattens class-validator's tree into `[{field: "a.b", message}]`. */
export function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) out.push({ field, message });
    if (error.children?.length) out.push(...fieldErrors(error.children, field));
  }
  return out;
}

/** Global pipe: strips unknown fields, converts types, and reports every bad field at once. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new RequestValidationError(fieldErrors(errors)),
  });
}

/**
 * An optional request field: absent, or `null` (taken as absent: a client that sends
 * `"deviceToken": null` means it has none), skips the field's other checks and reaches the
 * handler as `undefined`. class-validator's own `IsOptional` lets `null` through to the handler
 * as `null`. A field where `null` means something ("remove the phone") uses `ValidateIf` instead.
 */
export function OptionalField(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (value === null ? undefined : value)),
    IsOptional(),
  );
}
