import { applyDecorators, ValidationPipe, type ValidationError } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsOptional, IsUUID, ValidateBy, type ValidationOptions } from 'class-validator';
import { RequestValidationError, type FieldError } from './problem';

/** Checks of a value's type: when one fails, the field's other messages (ranges, lengths) only confuse. */
const TYPE_CHECKS = new Set(['isInt', 'isNumber', 'isString', 'isBoolean', 'isArray', 'isObject']);

/**
 * Flattens class-validator's tree into `[{field: "a.b", message}]`: every bad field, once. A
 * field that fails several checks gets the one that says most: a value of the wrong type only
 * that (`page=abc` is "must be an integer", not also "must not be greater than 1000000"); a
 * string too long our length rule's message (class-validator's own `Length` says the same thing
 * in other words, and both were listed); otherwise the first check that failed.
 */
export function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const failed = Object.entries(error.constraints ?? {});
    const chosen = failed.find(([check]) => TYPE_CHECKS.has(check)) ?? failed.find(([check]) => check === 'maxUnits') ?? failed[0];
    // A check about another field (see `RequiredOneOf`) names that field.
    const property = (chosen && (error.contexts?.[chosen[0]] as { field?: string } | undefined)?.field) ?? error.property;
    const field = parent ? `${parent}.${property}` : property;
    if (chosen) out.push({ field, message: chosen[1] });
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

/**
 * At most `max` UTF-16 units, as the event schemas (zod) count them: class-validator's
 * `MaxLength` and `Length` count a surrogate pair (an emoji) as one character, so 200 emoji
 * passed a 200 limit and then failed at the append (a 500). Request DTOs use this instead.
 */
export function MaxUnits(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxUnits',
      constraints: [max],
      validator: {
        // Only strings have a length: any other value is for the field's type check to name
        // (every field with MaxUnits has one), so a missing field gets one message, not two.
        validate: (value: unknown) => typeof value !== 'string' || value.length <= max,
        defaultMessage: (args) => `${args?.property ?? 'value'} must be at most ${max} characters long`,
      },
    },
    options,
  );
}

/**
 * A UUID field (or, with `each`, a list of them), reaching the handler in lower case: ids are
 * written lower case in events and stream names (`login-<id>`), so `4F0C…` would otherwise pass
 * validation and then name nothing, or name a second, different entry in a list.
 */
export function Uuid(options?: { each?: boolean }): PropertyDecorator {
  const lower = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value);
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (options?.each && Array.isArray(value) ? value.map(lower) : lower(value))),
    IsUUID('all', options),
  );
}

/**
 * On a property that is not a request field: fails unless at least one of `fields` came, and
 * is reported as the first of them (`{field: fields[0], message}`) with the request's other
 * mistakes. A missing field that may be replaced by another cannot be checked on itself: its
 * `OptionalField` skips every check when it is absent.
 */
export function RequiredOneOf(fields: readonly [string, ...string[]], message: string): PropertyDecorator {
  return ValidateBy(
    {
      name: 'requiredOneOf',
      validator: {
        validate: (_value, args) => fields.some((field) => (args?.object as Record<string, unknown>)[field] !== undefined),
        defaultMessage: () => message,
      },
    },
    { context: { field: fields[0] } },
  );
}
