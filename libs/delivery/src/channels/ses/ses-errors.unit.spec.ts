import { MessageRejected, SESServiceException } from '@aws-sdk/client-ses';
import { PermanentDeliveryError, TransientDeliveryError } from '../channel-ports';
import { sesDeliveryError } from './ses-errors';

/** An error as the SDK builds it from an SES answer. */
function sesAnswer(name: string, status: number, fault: 'client' | 'server', message: string): SESServiceException {
  return new SESServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message });
}

describe('SES error classification', () => {
  it('retries throttling, which SES answers with HTTP 400', () => {
    const error = sesDeliveryError(sesAnswer('Throttling', 400, 'client', 'Maximum sending rate exceeded.'));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(error).toMatchObject({ provider: 'ses', reason: 'rate_limited', status: 400, providerCode: 'Throttling' });
  });

  it('gives up on a rejected message, keeping the AWS code but not the text that names the address', () => {
    const rejected = new MessageRejected({
      $metadata: { httpStatusCode: 400 },
      message: 'Email address is not verified. The following identities failed the check in region EU-WEST-1: ana@example.com',
    });
    const error = sesDeliveryError(rejected);
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error).toMatchObject({ reason: 'rejected', status: 400, providerCode: 'MessageRejected' });
    expect(error.message).not.toContain('ana@example.com');
  });

  it('treats refused credentials as permanent and SES failures as worth retrying', () => {
    expect(sesDeliveryError(sesAnswer('SignatureDoesNotMatch', 403, 'client', 'x'))).toMatchObject({ retryable: false, reason: 'unauthorized' });
    expect(sesDeliveryError(sesAnswer('InternalFailure', 500, 'server', 'x'))).toMatchObject({ retryable: true, reason: 'provider_error' });
    expect(sesDeliveryError(sesAnswer('ServiceUnavailable', 503, 'server', 'x'))).toMatchObject({ retryable: true, status: 503 });
  });

  it('retries when there was no answer: refused connection, abort on timeout, no credentials yet', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED', $metadata: { attempts: 1 } });
    expect(sesDeliveryError(refused)).toMatchObject({ retryable: true, reason: 'unreachable', providerCode: 'ECONNREFUSED' });
    const aborted = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    expect(sesDeliveryError(aborted)).toMatchObject({ retryable: true, reason: 'timeout' });
    const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    expect(sesDeliveryError(noCredentials)).toMatchObject({ retryable: true, reason: 'credentials_unavailable' });
  });
});
