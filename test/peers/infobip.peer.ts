import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An Infobip-compatible HTTP server for tests: the SMS API v3 (`POST /sms/3/messages`) and the
 * voice text-to-speech API (`POST /tts/3/advanced`), with Infobip's `Authorization: App <key>`,
 * its request shapes, its success answers (one entry per destination with a PENDING status and
 * the message id) and its error bodies. It records what it accepted and can be told to fail.
 */

export type InfobipEndpoint = 'sms' | 'voice';

/** A message Infobip accepted, one per destination. */
export interface InfobipRecord {
  endpoint: InfobipEndpoint;
  messageId: string;
  to: string;
  text: string;
  /** SMS: the `sender`; voice: the `from` caller id (absent when not sent). */
  from: string | undefined;
  /** Voice only: the text-to-speech language code. */
  language: string | undefined;
  /** Voice only. */
  speechRate: number | undefined;
  receivedAt: Date;
}

/**
 * What the next calls do instead of accepting: 500, 400 (a validation-style refusal), 429, a
 * 200 whose message status is REJECTED (Infobip's answer for e.g. an unknown destination), no
 * answer at all until the peer stops, or (slow) the usual answer after a while.
 */
export type InfobipFault = 'server-error' | 'bad-request' | 'rate-limited' | 'rejected' | 'hang' | 'slow';

/** How long a 'slow' call waits before it answers as usual. */
const SLOW_MS = 800;

interface Violation {
  property: string;
  violation: string;
}

const PENDING = { groupId: 1, groupName: 'PENDING', id: 26, name: 'PENDING_ACCEPTED', description: 'Message sent to next instance' };
const REJECTED = { groupId: 5, groupName: 'REJECTED', id: 51, name: 'REJECTED_DESTINATION', description: 'Destination rejected' };

/** Infobip's caller ids and destinations: international numbers as digits, without "+". */
const NUMBER = /^\d{6,15}$/;

export class InfobipPeer {
  private readonly records: InfobipRecord[] = [];
  private readonly faults: InfobipFault[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private readonly refusedDestinations = new Set<string>();
  private calls = 0;

  private constructor(
    private readonly server: Server,
    readonly apiKey: string,
  ) {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res));
  }

  /** Starts on a free port of 127.0.0.1; requests must carry `Authorization: App <apiKey>`. */
  static async start(options: { apiKey?: string } = {}): Promise<InfobipPeer> {
    const peer = new InfobipPeer(createServer(), options.apiKey ?? `peer-key-${randomUUID()}`);
    await new Promise<void>((resolve, reject) => {
      peer.server.once('error', reject);
      peer.server.listen(0, '127.0.0.1', () => resolve());
    });
    return peer;
  }

  /** The base URL to configure as INFOBIP_BASE_URL. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next `count` calls meet `fault` instead of being accepted (500, 429 and hang before the key is checked). */
  failNext(count: number, fault: InfobipFault): void {
    for (let i = 0; i < count; i++) this.faults.push(fault);
  }

  /** Every later message to this number (digits, as Infobip takes it) gets a REJECTED status; the others in its request are accepted. */
  refuseDestination(to: string): void {
    this.refusedDestinations.add(to);
  }

  /** Accepted messages, oldest first, optionally of one endpoint. */
  messages(endpoint?: InfobipEndpoint): InfobipRecord[] {
    return this.records.filter((r) => endpoint === undefined || r.endpoint === endpoint);
  }

  /** Every request received, accepted or not. */
  callCount(): number {
    return this.calls;
  }

  /** Forgets recorded messages, pending faults, refused numbers and the call count. */
  clear(): void {
    this.records.length = 0;
    this.faults.length = 0;
    this.refusedDestinations.clear();
    this.calls = 0;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      // Keep-alive sockets of clients would hold close() open.
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.calls++;
    const raw = await readBody(req);
    const endpoint: InfobipEndpoint | undefined =
      req.method === 'POST' && req.url === '/sms/3/messages' ? 'sms' : req.method === 'POST' && req.url === '/tts/3/advanced' ? 'voice' : undefined;
    if (!endpoint) return send(res, 404, serviceException('NOT_FOUND', 'Requested URL not found'));

    const fault = this.faults.shift();
    if (fault === 'slow') await new Promise((r) => setTimeout(r, SLOW_MS));
    if (fault === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    if (fault === 'server-error') return send(res, 500, serviceException('GENERAL_ERROR', 'Something went wrong. Please contact support.'));
    if (fault === 'rate-limited') return send(res, 429, serviceException('TOO_MANY_REQUESTS', 'Too many requests'));

    if (req.headers.authorization !== `App ${this.apiKey}`) {
      return send(res, 401, serviceException('UNAUTHORIZED', 'Invalid login details'));
    }
    if (fault === 'bad-request') return this.badRequest(res, endpoint, [{ property: 'messages[0].destinations[0].to', violation: 'invalid destination address' }]);

    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return this.badRequest(res, endpoint, [{ property: 'body', violation: 'must be JSON' }]);
    }
    const violations = endpoint === 'sms' ? smsViolations(body) : voiceViolations(body);
    if (violations.length > 0) return this.badRequest(res, endpoint, violations);

    const answers: { messageId: string; to: string; status: typeof PENDING }[] = [];
    for (const message of (body as { messages: Record<string, unknown>[] }).messages) {
      for (const destination of message.destinations as { to: string; messageId?: string }[]) {
        // Infobip uses a client-chosen message id as is, and generates one otherwise.
        const messageId = destination.messageId ?? randomUUID();
        const refused = fault === 'rejected' || this.refusedDestinations.has(destination.to);
        const status = refused ? REJECTED : PENDING;
        answers.push({ messageId, to: destination.to, status });
        if (refused) continue;
        this.records.push({
          endpoint,
          messageId,
          to: destination.to,
          text: endpoint === 'sms' ? (message.content as { text: string }).text : (message.text as string),
          from: (endpoint === 'sms' ? message.sender : message.from) as string | undefined,
          language: message.language as string | undefined,
          speechRate: message.speechRate as number | undefined,
          receivedAt: new Date(),
        });
      }
    }
    const bulkId = answers.length > 1 ? randomUUID() : undefined;
    const messages =
      endpoint === 'sms'
        ? answers.map((a) => ({ messageId: a.messageId, status: a.status, destination: a.to, details: { messageCount: 1 } }))
        : answers.map((a) => ({ to: a.to, status: a.status, messageId: a.messageId }));
    return send(res, 200, { ...(bulkId ? { bulkId } : {}), messages });
  }

  /** The SMS v3 API's error body, or the voice API's older service-exception one. */
  private badRequest(res: ServerResponse, endpoint: InfobipEndpoint, violations: Violation[]): void {
    if (endpoint === 'sms') {
      send(res, 400, {
        errorCode: 'E400',
        description: 'Request cannot be processed.',
        action: 'Check the syntax, violations and adjust the request.',
        violations,
        resources: [],
      });
      return;
    }
    send(res, 400, {
      requestError: {
        serviceException: {
          messageId: 'BAD_REQUEST',
          text: 'Bad request',
          validationErrors: Object.fromEntries(violations.map((v) => [v.property, [v.violation]])),
        },
      },
    });
  }
}

function serviceException(messageId: string, text: string): unknown {
  return { requestError: { serviceException: { messageId, text } } };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** Destinations as both APIs take them: `[{to, messageId?}]`, at least one. */
function destinationViolations(message: Record<string, unknown>, at: string): Violation[] {
  const destinations = message.destinations;
  if (!Array.isArray(destinations) || destinations.length === 0) return [{ property: `${at}.destinations`, violation: 'must not be empty' }];
  const out: Violation[] = [];
  destinations.forEach((d: unknown, j) => {
    if (!isObject(d) || typeof d.to !== 'string' || !NUMBER.test(d.to)) {
      out.push({ property: `${at}.destinations[${j}].to`, violation: 'must be an international number of digits' });
    }
    if (isObject(d) && d.messageId !== undefined && !isText(d.messageId)) out.push({ property: `${at}.destinations[${j}].messageId`, violation: 'must be a string' });
  });
  return out;
}

function messagesOf(body: unknown): { messages: unknown[] } | Violation[] {
  if (!isObject(body) || !Array.isArray(body.messages) || body.messages.length === 0) return [{ property: 'messages', violation: 'must not be empty' }];
  return { messages: body.messages };
}

/** `{messages: [{sender, destinations: [{to, messageId?}], content: {text}, webhooks?: {callbackData?}}]}`. */
function smsViolations(body: unknown): Violation[] {
  const found = messagesOf(body);
  if (Array.isArray(found)) return found;
  const out: Violation[] = [];
  found.messages.forEach((m, i) => {
    const at = `messages[${i}]`;
    if (!isObject(m)) {
      out.push({ property: at, violation: 'must be an object' });
      return;
    }
    if (!isText(m.sender)) out.push({ property: `${at}.sender`, violation: 'must not be blank' });
    out.push(...destinationViolations(m, at));
    if (!isObject(m.content) || !isText(m.content.text)) out.push({ property: `${at}.content.text`, violation: 'must not be blank' });
    if (m.webhooks !== undefined) {
      const callbackData = isObject(m.webhooks) ? m.webhooks.callbackData : undefined;
      if (!isObject(m.webhooks) || (callbackData !== undefined && (typeof callbackData !== 'string' || callbackData.length > 4000))) {
        out.push({ property: `${at}.webhooks.callbackData`, violation: 'must be a string of at most 4000 characters' });
      }
    }
  });
  return out;
}

/** `{messages: [{destinations: [{to, messageId?}], from?, text, language?, speechRate?, callbackData?}]}`. */
function voiceViolations(body: unknown): Violation[] {
  const found = messagesOf(body);
  if (Array.isArray(found)) return found;
  const out: Violation[] = [];
  found.messages.forEach((m, i) => {
    const at = `messages[${i}]`;
    if (!isObject(m)) {
      out.push({ property: at, violation: 'must be an object' });
      return;
    }
    out.push(...destinationViolations(m, at));
    if (!isText(m.text) || m.text.length > 1400) out.push({ property: `${at}.text`, violation: 'must be 1 to 1400 characters' });
    if (m.from !== undefined && (typeof m.from !== 'string' || !NUMBER.test(m.from))) out.push({ property: `${at}.from`, violation: 'must be a numeric sender' });
    if (m.language !== undefined && (typeof m.language !== 'string' || !/^[a-z]{2,3}(-[a-z]{2,3})?$/.test(m.language))) {
      out.push({ property: `${at}.language`, violation: 'must be a supported language code' });
    }
    if (m.speechRate !== undefined && typeof m.speechRate !== 'number') out.push({ property: `${at}.speechRate`, violation: 'must be a number' });
    if (m.callbackData !== undefined && (typeof m.callbackData !== 'string' || m.callbackData.length > 700)) {
      out.push({ property: `${at}.callbackData`, violation: 'must be a string of at most 700 characters' });
    }
  });
  return out;
}
