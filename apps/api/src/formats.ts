import { CERTIFICATE_FORMAT_MESSAGE, PHONE_FORMAT_MESSAGE, normalizeCertificate, toE164 } from '@latchkey/identity';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Format checks the domain makes again (it must: commands come from elsewhere too), made here as
 * well so that one 400 lists every bad field: run only in the handler, a bad phone was reported
 * after the request's other mistakes had been fixed, in a second 400 (a contract probe).
 * A value that is not a string is left to the field's type check.
 */
export function IsE164Phone(): PropertyDecorator {
  return ValidateBy({
    name: 'isE164Phone',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || toE164(value) !== undefined,
      defaultMessage: () => PHONE_FORMAT_MESSAGE,
    },
  });
}

/** An X.509 certificate in PEM (with or without the BEGIN/END lines), as the SSO connection takes it. */
export function IsPemCertificate(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPemCertificate',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || normalizeCertificate(value) !== undefined,
        defaultMessage: () => CERTIFICATE_FORMAT_MESSAGE,
      },
    },
    options,
  );
}

/**
 * https, or http only to this machine (an IdP run locally for development or tests): the login
 * page sends users' browsers there, and a SAML request over plain http can be read and bent on
 * the way (a security probe saw http accepted).
 */
export function HttpsUnlessLocal(): PropertyDecorator {
  return ValidateBy({
    name: 'httpsUnlessLocal',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || isHttpsUnlessLocal(value),
      defaultMessage: (args) => `${args?.property ?? 'value'} ${HTTPS_UNLESS_LOCAL}`,
    },
  });
}

export const HTTPS_UNLESS_LOCAL = 'must be an https URL (http only for localhost)';

/** See `HttpsUnlessLocal`; a text that is no URL passes (the field's URL check names it). */
export function isHttpsUnlessLocal(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname));
  } catch {
    return true;
  }
}
