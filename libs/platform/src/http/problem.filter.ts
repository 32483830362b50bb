import {
  Catch,
  HttpException,
  Inject,
  Injectable,
  Logger,
  Optional,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { ConcurrencyError, DomainError } from '@latchkey/event-store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  DOMAIN_PROBLEMS,
  PROBLEMS,
  ProblemError,
  RequestValidationError,
  type DomainProblemMap,
  type Problem,
  type ProblemType,
} from './problem';
import { OUTAGE_RETRY_AFTER_SECONDS, isDependencyOutage } from './dependency-outage';

export interface ProblemResponse {
  body: Problem;
  headers: Record<string, string>;
}

const BY_STATUS: Record<number, ProblemType> = Object.fromEntries(Object.values(PROBLEMS).map((p) => [p.status, p]));

/** Errors Fastify raises while reading a body, before any handler runs. */
function fastifyProblem(error: { code?: unknown; statusCode?: unknown }): ProblemResponse | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { body: { ...PROBLEMS.payloadTooLarge }, headers: {} };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { body: { ...PROBLEMS.unsupportedMediaType, detail: 'send application/json' }, headers: {} };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { body: { ...PROBLEMS.validation, errors: [{ field: '(body)', message: 'must be valid JSON' }] }, headers: {} };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { body: { ...PROBLEMS.validation, errors: [{ field: '(body)', message: 'must not be empty' }] }, headers: {} };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { body: { ...PROBLEMS.validation, errors: [{ field: '(body)', message: 'was not received completely' }] }, headers: {} };
  }
  // Fastify's JSON parser reports malformed JSON as a SyntaxError with status 400.
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return { body: { ...PROBLEMS.validation, errors: [{ field: '(body)', message: 'must be valid JSON' }] }, headers: {} };
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 && BY_STATUS[error.statusCode]) {
    return { body: { ...BY_STATUS[error.statusCode] }, headers: {} };
  }
  return undefined;
}

/**
 * Turns anything thrown while handling a request into problem+json. Unexpected errors become
 * a bare 500: the cause goes to the log, never to the caller.
 */
export function toProblem(exception: unknown, domain: DomainProblemMap = {}): ProblemResponse & { unexpected: boolean; outage?: boolean } {
  if (exception instanceof RequestValidationError) {
    return { body: { ...PROBLEMS.validation, errors: exception.errors }, headers: {}, unexpected: false };
  }
  if (exception instanceof ProblemError) {
    return { body: { ...exception.problem, ...exception.extensions }, headers: exception.headers, unexpected: false };
  }
  if (exception instanceof DomainError) {
    const mapped = domain[exception.code] ?? (exception instanceof ConcurrencyError ? PROBLEMS.conflict : undefined);
    if (mapped) {
      const { retryAfterSeconds, ...extensions } = exception.details;
      const headers: Record<string, string> =
        typeof retryAfterSeconds === 'number' ? { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) } : {};
      return { body: { ...mapped, ...extensions }, headers, unexpected: false };
    }
    return { body: { ...PROBLEMS.internal }, headers: {}, unexpected: true };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const known = BY_STATUS[status];
    if (known) return { body: { ...known }, headers: {}, unexpected: false };
    return {
      body: { type: status >= 500 ? PROBLEMS.internal.type : '/problems/bad-request', title: exception.message, status },
      headers: {},
      unexpected: status >= 500,
    };
  }
  if (exception && typeof exception === 'object') {
    const parsed = fastifyProblem(exception as { code?: unknown; statusCode?: unknown });
    if (parsed) return { ...parsed, unexpected: false };
  }
  // PostgreSQL or Redis away: the request was fine, a later one may succeed (logged as an outage, below).
  if (isDependencyOutage(exception)) return { body: { ...PROBLEMS.unavailable }, headers: { 'Retry-After': String(OUTAGE_RETRY_AFTER_SECONDS) }, unexpected: false, outage: true };
  return { body: { ...PROBLEMS.internal }, headers: {}, unexpected: true };
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: ProblemResponse): void {
  if (reply.sent) return;
  const body: Problem = { ...problem.body, traceId: request.id };
  reply
    .status(body.status)
    .headers({ ...problem.headers, 'content-type': 'application/problem+json; charset=utf-8', 'cache-control': 'no-store' })
    .send(JSON.stringify(body));
}

@Catch()
@Injectable()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Problem');

  constructor(@Optional() @Inject(DOMAIN_PROBLEMS) private readonly domain: DomainProblemMap = {}) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const problem = toProblem(exception, this.domain);
    if (problem.unexpected) {
      this.logger.error(
        { msg: 'unexpected error while handling a request', err: exception, correlationId: request.id, method: request.method, route: request.routeOptions?.url },
      );
    } else if (problem.outage) {
      // What failed, without a stack: the operator is after the dependency, not the code path.
      this.logger.warn({ msg: `a dependency is unavailable: ${(exception as Error).message}`, correlationId: request.id, method: request.method, route: request.routeOptions?.url });
    }
    sendProblem(request, reply, problem);
  }
}
