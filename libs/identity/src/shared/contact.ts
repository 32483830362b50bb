import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { z } from 'zod';

/**
 * The one rule for an email address, used by the user events' schemas and by every request
 * field and IdP assertion that can become one: input that passes here is never refused later.
 */
export const EMAIL_ADDRESS = z.string().email();

/** At most 254 characters (the longest address SMTP can carry) and valid by `EMAIL_ADDRESS`. */
export function isEmailAddress(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 254 && EMAIL_ADDRESS.safeParse(value).success;
}

/** Lower-cased, trimmed: how emails and usernames are compared and claimed. */
export function normalizeLogin(value: string): string {
  return value.trim().toLowerCase();
}

/** What a request is told of a phone that `toE164` refuses (the API's DTOs and the commands say the same). */
export const PHONE_FORMAT_MESSAGE = 'must be a phone number in E.164 format, e.g. +385911234567';

/** A phone number in E.164 (`+385911234567`) if the input is one, else undefined. */
export function toE164(input: string): string | undefined {
  if (!/^\+[1-9]\d{6,14}$/.test(input.trim())) return undefined;
  const parsed = parsePhoneNumberFromString(input.trim());
  return parsed && parsed.isValid() ? parsed.number : undefined;
}

/**
 * `+385911234521` → `+385*****21`: the country code and the last two digits, with always five
 * stars between them, so the mask does not tell how long the number is.
 */
export function maskPhone(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  const country = parsed ? `+${parsed.countryCallingCode}` : e164.slice(0, 3);
  return `${country}*****${e164.slice(country.length).slice(-2)}`;
}

/** `jane.doe@example.com` → `j***@example.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

export const USERNAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{2,63}$/;
