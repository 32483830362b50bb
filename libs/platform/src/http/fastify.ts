import type { AppConfig } from '@latchkey/config';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger as PinoLogger } from 'pino';
import { CORRELATION_HEADER, correlationIdOf } from '../correlation-id';
import { redactUrl } from '../logging';
import type { MetricsService } from '../metrics/metrics.service';
import secureJson from 'secure-json-parse';
import { PROBLEMS, RequestValidationError, type FieldError, type Problem } from './problem';
import { sendProblem } from './problem.filter';

/** The HTTP server both apps run on: Fastify (a fraction of Express's cost per request). */
export function createHttpAdapter(config: Pick<AppConfig, 'http'>): FastifyAdapter {
  return new FastifyAdapter({
    // No Fastify logger: one line per request is written by our own hook below, on our pino.
    logger: false,
    genReqId: (req: IncomingMessage) => correlationIdOf(req),
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    return503OnClosing: true,
    // "/login/saml/contoso/" and "/login/saml/contoso" are the same page (SP-initiated URLs are typed and pasted).
    routerOptions: { ignoreTrailingSlash: true },
    // What the router refuses before any route runs (so before Nest's filter) is a problem too:
    // a path parameter longer than any id is an id there is not; a path that cannot be decoded is a bad request.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
      const tooLong = (error as { code?: string }).code === 'FST_ERR_MAX_PARAM_LENGTH';
      sendProblem(request, reply, {
        body: tooLong ? { ...PROBLEMS.notFound } : { ...PROBLEMS.validation, errors: [{ field: '(path)', message: 'must be a valid URL path' }] },
        headers: {},
      });
    },
    // What Node's HTTP parser refuses before Fastify sees a request (a raw non-ASCII byte in the
    // query, a malformed request line, headers past the limit, a request that never finished
    // arriving) is answered as a problem too, not with Fastify's own JSON.
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      if (socket.writable) {
        const problem: Problem =
          error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? { ...PROBLEMS.requestTimeout }
            : error.code === 'HPE_HEADER_OVERFLOW'
              ? { ...PROBLEMS.headersTooLarge }
              : { ...PROBLEMS.validation, errors: [{ field: '(request)', message: 'must be a valid HTTP/1.1 request (path and query URL-encoded)' }] };
        const body = JSON.stringify(problem);
        socket.write(
          `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
            `Cache-Control: no-store\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
      }
      socket.destroy(error);
    },
  });
}

const QUIET = /^\/(health|metrics)(\/|$|\?)/;

/** Text PostgreSQL cannot store (NUL in `text`, unpaired UTF-16 surrogates in `jsonb`). */
const UNSTORABLE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSTORABLE_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/** How deep a JSON body may nest: far beyond any request latchkey takes. */
export const MAX_BODY_DEPTH = 32;

/**
 * What is wrong with a parsed body (or query, or path parameters), if anything: nesting deeper
 * than `MAX_BODY_DEPTH`, or — when `text` is set — a string or key holding unstorable text. A
 * loop with its own stack, not recursion: a 100 KB body can nest tens of thousands of levels,
 * and a stack overflow in a body parser would take the process down.
 */
export function bodyProblem(value: unknown, text: boolean, root = '(body)'): FieldError | undefined {
  const pending: [unknown, string, number][] = [[value, '', 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, path, depth] = next;
    if (typeof item === 'string') {
      if (text && UNSTORABLE.test(item)) return { field: path || root, message: UNSTORABLE_MESSAGE };
      continue;
    }
    if (item === null || typeof item !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) return { field: path || root, message: `must not nest deeper than ${MAX_BODY_DEPTH} levels` };
    for (const [key, child] of Object.entries(item)) {
      if (text && UNSTORABLE.test(key)) return { field: path || root, message: UNSTORABLE_MESSAGE };
      pending.push([child, path ? `${path}.${key}` : key, depth + 1]);
    }
  }
  return undefined;
}

/**
 * What every request goes through around the Nest handlers: the correlation id echoed, one log
 * line (health and metrics excluded), the duration by route pattern, JSON bodies parsed by our
 * parser, non-object bodies refused. Errors raised by Fastify itself (size, content type) reach
 * ProblemFilter through the error handler Nest installs at init.
 */
export function installHttpHooks(instance: FastifyInstance, metrics: MetricsService, logger: PinoLogger): void {
  // JSON only (and +json types); any other content type is 415. Our own parser so that a bad
  // body becomes a field error like any other validation failure.
  instance.removeAllContentTypeParsers();
  // Bytes, decoded here: JSON is UTF-8 (RFC 8259), and a body that is not gets a field error
  // (Fastify's string mode compared the decoded length with Content-Length and answered a bare 400).
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  const parseJson = (_request: FastifyRequest, body: string | Buffer, done: (error: Error | null, value?: unknown) => void) => {
    let text: string;
    try {
      text = typeof body === 'string' ? body : utf8.decode(body);
    } catch {
      return done(new RequestValidationError([{ field: '(body)', message: 'must be UTF-8 text' }]));
    }
    // No body at all, only the header (many HTTP clients send it on every request): as if there
    // were no body. An endpoint that needs one then lists its missing fields.
    if (text.length === 0) return done(null, undefined);
    if (text.trim() === '') return done(new RequestValidationError([{ field: '(body)', message: 'must be valid JSON' }]));
    let value: unknown;
    try {
      // Prototype-poisoning keys (__proto__, constructor.prototype) are refused, as Fastify's own parser does.
      value = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch (error) {
      const poisoned = error instanceof SyntaxError && /forbidden (prototype|constructor) property/.test(error.message);
      return done(new RequestValidationError([{ field: '(body)', message: poisoned ? 'must not contain "__proto__" or "constructor.prototype" keys' : 'must be valid JSON' }]));
    }
    // Only a \u escape can put NUL or a lone surrogate in parsed JSON (raw control characters
    // are invalid JSON; invalid UTF-8 is refused above): most bodies skip the text check.
    const problem = bodyProblem(value, /\\u/i.test(text));
    if (problem) return done(new RequestValidationError([problem]));
    done(null, value);
  };
  instance.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseJson);
  instance.addContentTypeParser(/^application\/[\w.+-]+\+json$/, { parseAs: 'buffer' }, parseJson);

  const handling = inFlight(instance);
  instance.addHook('onRequest', (request, reply, done) => {
    reply.header(CORRELATION_HEADER, request.id);
    // No content coding is taken (RFC 9110 §8.4.1: 415): a gzipped body read as JSON would be garbage.
    const coding = request.headers['content-encoding'];
    const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
    if (hasBody && coding !== undefined && coding.trim() !== '' && coding.trim().toLowerCase() !== 'identity') {
      sendProblem(request, reply, { body: { ...PROBLEMS.unsupportedMediaType, detail: 'request bodies are taken without a content coding' }, headers: { 'Accept-Encoding': 'identity' } });
      return;
    }
    handling.add(request);
    done();
  });
  // A handler's answer goes through onSend even when its client has gone: that is when its work
  // (and its use of the database) is over.
  instance.addHook('onSend', (request, _reply, payload, done) => {
    handling.delete(request);
    done(null, payload);
  });

  instance.addHook('preValidation', (request, reply, done) => {
    const body = request.body;
    if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) {
      sendProblem(request, reply, { body: { ...PROBLEMS.validation, errors: [{ field: '(body)', message: 'must be a JSON object' }] }, headers: {} });
      return;
    }
    // Query and path parameters come percent-decoded: %00 would reach the database as NUL.
    const problem = bodyProblem(request.query, true, '(query)') ?? bodyProblem(request.params, true, '(path)');
    if (problem) {
      sendProblem(request, reply, { body: { ...PROBLEMS.validation, errors: [problem] }, headers: {} });
      return;
    }
    done();
  });

  instance.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    // At LOG_LEVEL=warn and above the line would be dropped: skip building it.
    if (logger.isLevelEnabled('info') && !QUIET.test(request.url)) {
      logger.info(
        {
          correlationId: request.id,
          req: { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip },
          res: { statusCode: reply.statusCode },
          responseTime: Math.round(reply.elapsedTime),
        },
        'request completed',
      );
    }
    done();
  });
}

/** Per server, the requests taken and not yet answered. */
const IN_FLIGHT = new WeakMap<FastifyInstance, Set<FastifyRequest>>();

function inFlight(instance: FastifyInstance): Set<FastifyRequest> {
  let requests = IN_FLIGHT.get(instance);
  if (!requests) IN_FLIGHT.set(instance, (requests = new Set()));
  return requests;
}

/**
 * Stops taking requests and waits, at most `timeoutMs`, until every request already taken has
 * been answered. Closing the server alone waits only for connections: a request whose client
 * hung up is still being handled, and the database must outlive it.
 */
export async function drainHttp(instance: FastifyInstance, timeoutMs: number): Promise<{ unfinished: number }> {
  await instance.close();
  const requests = inFlight(instance);
  const deadline = Date.now() + timeoutMs;
  while (requests.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return { unfinished: requests.size };
}
