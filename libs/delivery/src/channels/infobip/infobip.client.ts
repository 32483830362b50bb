import { ConfigError, type AppConfig } from '@latchkey/config';
import { PermanentDeliveryError, TransientDeliveryError, deliveryErrorForNoAnswer, deliveryErrorForStatus, type Accepted } from '../channel-ports';

export const INFOBIP = 'infobip';

export type InfobipPath = '/sms/3/messages' | '/tts/3/advanced';

/** The part of Infobip's send answer we read: one entry per destination. */
interface InfobipSendAnswer {
  messages?: { messageId?: unknown; status?: { groupName?: unknown; name?: unknown } }[];
}

/**
 * Error bodies come in two shapes: the SMS v3 API answers `{errorCode, description, action,
 * violations}`, the voice API the older `{requestError: {serviceException: {messageId, text}}}`.
 * Only the code is kept: descriptions may echo the request.
 */
interface InfobipErrorBody {
  errorCode?: unknown;
  requestError?: { serviceException?: { messageId?: unknown } };
}

/** Status groups of a send answer that mean the message was not accepted for delivery. */
const REFUSED_GROUPS = new Set(['REJECTED', 'UNDELIVERABLE']);

/** Infobip wants international numbers as digits only ("41793026727"); we keep E.164 with its "+". */
export function infobipAddress(e164: string): string {
  return e164.replace(/[\s()-]/g, '').replace(/^\+/, '');
}

/**
 * One POST to Infobip with the account's API key, bounded by DELIVERY_TIMEOUT_SECONDS, whose
 * outcome is either the accepted message's id or a classified DeliveryError.
 */
export class InfobipClient {
  private readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;

  constructor(config: AppConfig) {
    const { baseUrl, apiKey } = config.infobip;
    // The configuration schema already requires both when a channel uses infobip; this guards other callers.
    if (!baseUrl || !apiKey) {
      throw new ConfigError(
        [!baseUrl && 'INFOBIP_BASE_URL', !apiKey && 'INFOBIP_API_KEY']
          .filter((v): v is string => typeof v === 'string')
          .map((variable) => ({ variable, message: 'is missing (required when SMS_PROVIDER or VOICE_PROVIDER is infobip)' })),
      );
    }
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.apiKey = apiKey;
    this.timeoutMs = config.delivery.timeoutMs;
  }

  /**
   * Sends one message to one destination. `idempotencyKey`, when given, was sent as the
   * destination's `messageId` and Infobip echoes it; it is also the fallback id when an accepted
   * message's entry lacks one (that id is what Infobip reports the message under).
   */
  async send(path: InfobipPath, body: unknown, idempotencyKey?: string): Promise<Accepted> {
    let status: number;
    let text: string;
    try {
      const response = await fetch(`${this.baseUrl}${path}`, {
        method: 'POST',
        headers: { Authorization: `App ${this.apiKey}`, 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
        // A redirect means a wrong base URL; following it could carry the key to another host.
        redirect: 'manual',
        // Covers the whole exchange, body included: a provider that stops mid-answer is a timeout too.
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw deliveryErrorForNoAnswer(INFOBIP, error);
    }
    const answer = parseJson(text);
    if (status < 200 || status > 299) throw deliveryErrorForStatus(INFOBIP, status, errorCodeOf(answer as InfobipErrorBody | undefined));

    const messages = (answer as InfobipSendAnswer | undefined)?.messages;
    // A success that is not Infobip's JSON comes from something else at INFOBIP_BASE_URL: nothing was sent.
    if (!Array.isArray(messages) || typeof messages[0] !== 'object' || messages[0] === null) {
      throw new PermanentDeliveryError(INFOBIP, 'misconfigured', status);
    }
    const first = messages[0];
    const group = first.status?.groupName;
    if (typeof group === 'string' && REFUSED_GROUPS.has(group)) {
      // A 200 whose message status is REJECTED_* (unknown destination, no credit, blocked…): nothing was sent.
      throw new PermanentDeliveryError(INFOBIP, 'rejected', status, typeof first.status?.name === 'string' ? first.status.name : group);
    }
    const messageId = typeof first.messageId === 'string' && first.messageId !== '' ? first.messageId : idempotencyKey;
    // Accepted, but with nothing to record. A retry may send the same code twice, which is better
    // than failing over to another channel with a new code while this one may still arrive.
    if (!messageId) throw new TransientDeliveryError(INFOBIP, 'unexpected_response', status);
    return { provider: INFOBIP, providerMessageId: messageId };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorCodeOf(body: InfobipErrorBody | undefined): string | undefined {
  const code = body?.errorCode ?? body?.requestError?.serviceException?.messageId;
  return typeof code === 'string' ? code : undefined;
}
