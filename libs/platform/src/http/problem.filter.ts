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
import type { Request, Response } from 'express';
import { correlationIdOf } from '../correlation-id';
import {
  DOMAIN_PROBLEMS,
  PROBLEMS,
  ProblemError,
  RequestValidationError,
  type DomainProblemMap,
  type Problem,
  type ProblemType,
} from './problem';

export interface ProblemResponse {
  body: Problem;
  headers: Record<string, string>;
}

const BY_STATUS: Record<number, ProblemType> = Object.fromEntries(Object.values(PROBLEMS).map((p) => [p.status, p]));

/** body-parser's errors carry a `type` string and a status. */
function bodyParserProblem(error: { type?: unknown; status?: unknown }): ProblemResponse | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return { body: { ...PROBLEMS.payloadTooLarge }, headers: {} };
    case 'entity.parse.failed':
      return {
        body: { ...PROBLEMS.validation, errors: [{ field: '(body)', message: 'must be valid JSON' }] },
        headers: {},
      };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { body: { ...PROBLEMS.unsupportedMediaType }, headers: {} };
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return { body: { ...PROBLEMS.validation, errors: [{ field: '(body)', message: 'was not received completely' }] }, headers: {} };
    default:
      return undefined;
  }
}

/**
 * Turns anything thrown while handling a request into problem+json. Unexpected errors become
 * a bare 500: the cause goes to the log, never to the caller.
 */
export function toProblem(exception: unknown, domain: DomainProblemMap = {}): ProblemResponse & { unexpected: boolean } {
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
    const parsed = bodyParserProblem(exception as { type?: unknown });
    if (parsed) return { ...parsed, unexpected: false };
  }
  return { body: { ...PROBLEMS.internal }, headers: {}, unexpected: true };
}

export function sendProblem(req: Request, res: Response, problem: ProblemResponse): void {
  const body: Problem = { ...problem.body, traceId: correlationIdOf(req, res) };
  if (res.headersSent) return;
  res.status(body.status);
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}

@Catch()
@Injectable()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Problem');

  constructor(@Optional() @Inject(DOMAIN_PROBLEMS) private readonly domain: DomainProblemMap = {}) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const problem = toProblem(exception, this.domain);
    if (problem.unexpected) {
      this.logger.error(
        { err: exception, correlationId: correlationIdOf(req), method: req.method, path: req.path },
        'unexpected error while handling a request',
      );
    }
    sendProblem(req, res, problem);
  }
}
