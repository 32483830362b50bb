import { ConfigError, type AppConfig } from '@latchkey/config';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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
 *
 * On node:http(s) with a keep-alive agent rather than `fetch`: under a burst of codes, fetch's
 * own machinery (web streams, abort signals, request objects) was the largest single item in
 * the worker's CPU profile. Redirects are not followed (a redirect means a wrong base URL, and
 * following it could carry the key to another host).
 */
export class InfobipClient {
  private readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly secure: boolean;
  private readonly agent: HttpAgent;

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
    this.secure = new URL(this.baseUrl).protocol === 'https:';
    // Idle sockets are unreferenced by the agent, so they never hold the process open.
    this.agent = this.secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
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
      ({ status, text } = await this.post(path, JSON.stringify(body)));
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

  /** The status and body of one POST; the timeout covers the whole exchange, answer body included. */
  private post(path: InfobipPath, payload: string): Promise<{ status: number; text: string }> {
    const body = Buffer.from(payload, 'utf8');
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | undefined, result?: { status: number; text: string }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(result!);
      };
      const request = (this.secure ? httpsRequest : httpRequest)(`${this.baseUrl}${path}`, {
        method: 'POST',
        agent: this.agent,
        headers: { Authorization: `App ${this.apiKey}`, 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': body.length },
      });
      const timer = setTimeout(() => {
        const timeout = new Error(`no answer within ${this.timeoutMs} ms`);
        timeout.name = 'TimeoutError';
        finish(timeout);
        request.destroy(timeout);
      }, this.timeoutMs);
      request.on('error', (error) => finish(error));
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => finish(error));
        // A connection that ends before the answer is complete is no answer.
        response.on('close', () => {
          if (response.complete) finish(undefined, { status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
          else finish(Object.assign(new Error('the answer was cut off'), { code: 'ECONNRESET' }));
        });
      });
      request.end(body);
    });
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
