import { isEmailAddress } from '@latchkey/identity';
import { ValidateBy } from 'class-validator';

/**
 * An email address by latchkey's one rule (`isEmailAddress`, the rule the user events are
 * checked with): class-validator's `IsEmail` accepts addresses that rule refuses (`a#b@…`), which
 * then failed at the append as a 500 instead of a 400 here.
 */
export function IsEmailAddress(): PropertyDecorator {
  return ValidateBy({
    name: 'isEmailAddress',
    validator: { validate: (value: unknown) => isEmailAddress(value), defaultMessage: (args) => `${args?.property ?? 'value'} must be an email address` },
  });
}
