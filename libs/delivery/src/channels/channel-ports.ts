/** What a provider answers when it accepted a message. */
export interface Accepted {
  provider: string;
  providerMessageId: string;
}

/**
 * A stable key for one logical send (the job's id). Adapters hand it to the provider where the
 * provider lets the client choose the message id (Infobip), so a send retried after a crash
 * carries the same id and can be recognized in the provider's logs and reports. Providers without
 * such a field (SES v1) ignore it.
 */
interface Idempotent {
  idempotencyKey?: string;
}

export interface SmsMessage extends Idempotent {
  /** E.164, e.g. +385981112233. */
  to: string;
  text: string;
}

export interface VoiceMessage extends Idempotent {
  /** E.164, e.g. +385981112233. */
  to: string;
  text: string;
  /** BCP 47 language of the text, for text-to-speech. */
  language: string;
}

export interface EmailMessage extends Idempotent {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Channel ports: the processors depend on these; adapters (console, infobip, ses) implement them.
 * The `…Many` methods hand over several messages at once and answer, in their order, each one's
 * acceptance or its own error; an adapter whose provider takes several messages in one request
 * (Infobip) sends them so, the others one request per message, concurrently.
 */
export abstract class SmsChannel {
  abstract send(message: SmsMessage): Promise<Accepted>;

  sendMany(messages: readonly SmsMessage[]): Promise<(Accepted | Error)[]> {
    return eachSettled(messages, (m) => this.send(m));
  }
}

export abstract class VoiceChannel {
  abstract call(message: VoiceMessage): Promise<Accepted>;

  callMany(messages: readonly VoiceMessage[]): Promise<(Accepted | Error)[]> {
    return eachSettled(messages, (m) => this.call(m));
  }
}

export abstract class EmailChannel {
  abstract send(message: EmailMessage): Promise<Accepted>;

  sendMany(messages: readonly EmailMessage[]): Promise<(Accepted | Error)[]> {
    return eachSettled(messages, (m) => this.send(m));
  }
}

/** `fn` for each item on its own, all at once: each item's result or, when it failed, its Error (in the items' order). */
export function eachSettled<I, R>(items: readonly I[], fn: (item: I) => Promise<R>): Promise<(R | Error)[]> {
  return Promise.all(items.map((item) => fn(item).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))));
}

/**
 * Why a send failed, as a short stable code: it goes into `DeliveryFailed` events, metrics and
 * log lines, so it never carries message text, codes, keys or addresses.
 */
export type DeliveryFailureReason =
  /** The provider refused this message (invalid number or address, content, blocked destination…). */
  | 'rejected'
  /** The provider refused our credentials (401/403): an operator must fix the configuration. */
  | 'unauthorized'
  /** The provider answered in a way that points at our configuration (a redirect, an unknown status). */
  | 'misconfigured'
  /** The provider asked us to slow down (429, SES throttling). */
  | 'rate_limited'
  /** No answer within DELIVERY_TIMEOUT_SECONDS, or the provider's own 408. */
  | 'timeout'
  /** No connection: refused, reset, DNS failure. */
  | 'unreachable'
  /** The provider failed (5xx). */
  | 'provider_error'
  /** A success status without the message id we need. */
  | 'unexpected_response'
  /** The credentials for the provider could not be obtained (AWS credential chain). */
  | 'credentials_unavailable';

/** A provider error code worth showing an operator ("E400", "MessageRejected"); anything else is dropped. */
function safeCode(code: unknown): string | undefined {
  return typeof code === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(code) ? code : undefined;
}

/** A failed send. Its message names the provider, the reason and the status, nothing about the message. */
export abstract class DeliveryError extends Error {
  /** True when the same send may succeed later (the queue retries it); false when it never will. */
  abstract readonly retryable: boolean;
  readonly providerCode: string | undefined;

  constructor(
    readonly provider: string,
    readonly reason: DeliveryFailureReason,
    readonly status?: number,
    providerCode?: string,
  ) {
    const code = safeCode(providerCode);
    super(`${provider}: ${reason}${status !== undefined ? ` (HTTP ${status})` : ''}${code ? ` [${code}]` : ''}`);
    this.providerCode = code;
  }
}

/** The provider refused the message: retrying cannot help, the caller should offer another channel. */
export class PermanentDeliveryError extends DeliveryError {
  readonly retryable = false;
  // On the prototype, so the stack trace captured in the constructor already carries the name.
  static {
    this.prototype.name = 'PermanentDeliveryError';
  }
}

/** The send may succeed later (5xx, 408, 429, timeouts, connection errors): retry with back-off. */
export class TransientDeliveryError extends DeliveryError {
  readonly retryable = true;
  // On the prototype, so the stack trace captured in the constructor already carries the name.
  static {
    this.prototype.name = 'TransientDeliveryError';
  }
}

/** The error for a non-2xx HTTP answer: 408, 429 and 5xx are worth retrying, every other 4xx is final. */
export function deliveryErrorForStatus(provider: string, status: number, providerCode?: string): DeliveryError {
  if (status === 408) return new TransientDeliveryError(provider, 'timeout', status, providerCode);
  if (status === 429) return new TransientDeliveryError(provider, 'rate_limited', status, providerCode);
  if (status >= 500 && status <= 599) return new TransientDeliveryError(provider, 'provider_error', status, providerCode);
  if (status === 401 || status === 403) return new PermanentDeliveryError(provider, 'unauthorized', status, providerCode);
  if (status >= 400 && status <= 499) return new PermanentDeliveryError(provider, 'rejected', status, providerCode);
  // 1xx/3xx reach us only when the base URL is wrong (e.g. http redirecting to https): an operator must act.
  return new PermanentDeliveryError(provider, 'misconfigured', status, providerCode);
}

/**
 * The error for a request that got no HTTP answer. `fetch` rejects with a TimeoutError (our
 * AbortSignal.timeout) or a TypeError whose cause carries the socket error code. Read by shape,
 * not `instanceof`: errors from another realm (undici's, under a test sandbox) fail that check.
 */
export function deliveryErrorForNoAnswer(provider: string, error: unknown): TransientDeliveryError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; code?: unknown; cause?: { code?: unknown } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return new TransientDeliveryError(provider, 'timeout');
  const code = e.code ?? (typeof e.cause === 'object' && e.cause !== null ? e.cause.code : undefined);
  return new TransientDeliveryError(provider, 'unreachable', undefined, typeof code === 'string' ? code : undefined);
}
