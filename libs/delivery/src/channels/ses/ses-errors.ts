import {
  PermanentDeliveryError,
  TransientDeliveryError,
  deliveryErrorForNoAnswer,
  deliveryErrorForStatus,
  type DeliveryError,
} from '../channel-ports';

export const SES = 'ses';

/** SES answers throttling with HTTP 400, so the status alone would call it permanent. */
const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestThrottled', 'SlowDown']);

/** Credential and signature errors: retrying with the same credentials cannot succeed. */
const UNAUTHORIZED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'ExpiredToken',
  'ExpiredTokenException',
  'IncompleteSignature',
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'MissingAuthenticationToken',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
]);

/** What the AWS SDK puts on an error that came from an SES answer. */
interface ServiceErrorShape {
  name: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/**
 * Classifies an AWS SDK error from SendEmail. Only the error's name (an AWS error code such as
 * "MessageRejected") is kept: SES messages can quote the addresses involved.
 */
export function sesDeliveryError(error: unknown): DeliveryError {
  // By shape, not `instanceof Error`: errors from another realm (a test sandbox) fail that check.
  if (typeof error !== 'object' || error === null) return new TransientDeliveryError(SES, 'unreachable');
  const e = error as Partial<ServiceErrorShape>;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined || e.$fault !== undefined) {
    // An answer the SDK could not parse (not SES's XML) is a plain Error: no code worth keeping.
    const name = typeof e.name === 'string' ? e.name : '';
    const code = name !== 'Error' && name !== '' ? name : undefined;
    if (THROTTLING.has(name) || e.$retryable?.throttling) return new TransientDeliveryError(SES, 'rate_limited', status, code);
    if (UNAUTHORIZED.has(name)) return new PermanentDeliveryError(SES, 'unauthorized', status, code);
    if (status !== undefined) return deliveryErrorForStatus(SES, status, code);
    return e.$fault === 'server'
      ? new TransientDeliveryError(SES, 'provider_error', undefined, code)
      : new PermanentDeliveryError(SES, 'rejected', undefined, code);
  }
  // The default chain found no credentials, or its source (instance metadata, SSO) failed for now.
  if (e.name === 'CredentialsProviderError') return new TransientDeliveryError(SES, 'credentials_unavailable');
  return deliveryErrorForNoAnswer(SES, error);
}
