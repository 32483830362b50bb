import { ConfigError, type AppConfig } from '@latchkey/config';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { PermanentDeliveryError, TransientDeliveryError, deliveryErrorForNoAnswer, deliveryErrorForStatus, eachSettled, type Accepted } from '../channel-ports';

export const INFOBIP = 'infobip';

export type InfobipPath = '/sms/3/messages' | '/tts/3/advanced';

/** The part of Infobip's send answer we read: one entry per destination. */
interface InfobipSendAnswer {
  messages?: ({ messageId?: unknown; status?: { groupName?: unknown; name?: unknown } } | null)[];
}

/** One message of a send: its entry in the request's `messages` (one destination) and its idempotency key. */
export interface InfobipOutgoing {
  message: Record<string, unknown>;
  idempotencyKey?: string;
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

  /** Sends one message (see `sendMany`); throws its DeliveryError. */
  async send(path: InfobipPath, outgoing: InfobipOutgoing): Promise<Accepted> {
    const [result] = await this.sendMany(path, [outgoing]);
    if (result instanceof Error) throw result;
    return result;
  }

  /**
   * Sends several messages (one destination each) in one request — Infobip's send APIs take a
   * `messages` array — and answers, in their order, each one's acceptance or DeliveryError.
   * `idempotencyKey`, when given, was sent as the destination's `messageId` and Infobip echoes it:
   * answers are matched to messages by it (by position otherwise), and it is the fallback id when
   * an accepted message's entry lacks one (that id is what Infobip reports the message under).
   * No answer, 5xx, 429 or 401/403 is every message's error. Any other refusal of the whole
   * request may be for one message's sake (a malformed number), so with several messages each is
   * then sent alone and gets its own answer.
   */
  async sendMany(path: InfobipPath, outgoing: readonly InfobipOutgoing[]): Promise<(Accepted | Error)[]> {
    if (outgoing.length === 0) return [];
    let status: number;
    let text: string;
    try {
      ({ status, text } = await this.post(path, JSON.stringify({ messages: outgoing.map((o) => o.message) })));
    } catch (error) {
      const failed = deliveryErrorForNoAnswer(INFOBIP, error);
      return outgoing.map(() => failed);
    }
    const answer = parseJson(text);
    if (status < 200 || status > 299) {
      const failed = deliveryErrorForStatus(INFOBIP, status, errorCodeOf(answer as InfobipErrorBody | undefined));
      if (outgoing.length > 1 && failed instanceof PermanentDeliveryError && failed.reason === 'rejected') {
        return eachSettled(outgoing, (o) => this.send(path, o));
      }
      return outgoing.map(() => failed);
    }

    const entries = (answer as InfobipSendAnswer | undefined)?.messages;
    // A success that is not Infobip's JSON comes from something else at INFOBIP_BASE_URL: nothing was sent.
    if (!Array.isArray(entries) || !entries.some((e) => typeof e === 'object' && e !== null)) {
      const misconfigured = new PermanentDeliveryError(INFOBIP, 'misconfigured', status);
      return outgoing.map(() => misconfigured);
    }
    const byId = new Map(entries.flatMap((e) => (e && typeof e.messageId === 'string' ? [[e.messageId, e] as const] : [])));
    return outgoing.map((o, i) => {
      const entry = (o.idempotencyKey ? byId.get(o.idempotencyKey) : undefined) ?? (entries.length === outgoing.length ? entries[i] : undefined);
      // Accepted, but we cannot tell which entry is this message's, or it has nothing to record.
      // A retry may send the same code twice, which is better than failing over to another
      // channel with a new code while this one may still arrive.
      if (typeof entry !== 'object' || entry === null) return new TransientDeliveryError(INFOBIP, 'unexpected_response', status);
      const group = entry.status?.groupName;
      if (typeof group === 'string' && REFUSED_GROUPS.has(group)) {
        // A 200 whose message status is REJECTED_* (unknown destination, no credit, blocked…): nothing was sent.
        return new PermanentDeliveryError(INFOBIP, 'rejected', status, typeof entry.status?.name === 'string' ? entry.status.name : group);
      }
      const messageId = typeof entry.messageId === 'string' && entry.messageId !== '' ? entry.messageId : o.idempotencyKey;
      if (!messageId) return new TransientDeliveryError(INFOBIP, 'unexpected_response', status);
      return { provider: INFOBIP, providerMessageId: messageId };
    });
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
