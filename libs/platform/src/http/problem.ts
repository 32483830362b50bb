/** RFC 9457 problem details; `type` is a stable path under /problems/. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  traceId?: string;
  [extension: string]: unknown;
}

export interface ProblemType {
  type: string;
  title: string;
  status: number;
}

/** The problem types of the platform itself; features add theirs through DOMAIN_PROBLEMS. */
export const PROBLEMS = {
  validation: { type: '/problems/validation', title: 'The request is not valid', status: 400 },
  unauthorized: { type: '/problems/unauthorized', title: 'Authentication is required', status: 401 },
  forbidden: { type: '/problems/forbidden', title: 'Not allowed', status: 403 },
  notFound: { type: '/problems/not-found', title: 'Not found', status: 404 },
  methodNotAllowed: { type: '/problems/method-not-allowed', title: 'Method not allowed', status: 405 },
  conflict: { type: '/problems/conflict', title: 'The resource changed meanwhile; try again', status: 409 },
  requestTimeout: { type: '/problems/request-timeout', title: 'The request took too long to arrive', status: 408 },
  payloadTooLarge: { type: '/problems/payload-too-large', title: 'The request body is too large', status: 413 },
  unsupportedMediaType: { type: '/problems/unsupported-media-type', title: 'Unsupported content type', status: 415 },
  rateLimited: { type: '/problems/rate-limited', title: 'Too many requests', status: 429 },
  headersTooLarge: { type: '/problems/headers-too-large', title: 'The request headers are too large', status: 431 },
  internal: { type: '/problems/internal', title: 'Something went wrong on our side', status: 500 },
  unavailable: { type: '/problems/unavailable', title: 'The service is temporarily unavailable', status: 503 },
} as const satisfies Record<string, ProblemType>;

/** Domain error code → problem type; each feature contributes its own table. */
export type DomainProblemMap = Record<string, ProblemType>;

export const DOMAIN_PROBLEMS = Symbol('latchkey.domainProblems');

export interface FieldError {
  field: string;
  message: string;
}

/** Thrown by the validation pipe and the body parser: 400 /problems/validation with field errors. */
export class RequestValidationError extends Error {
  constructor(readonly errors: FieldError[]) {
    super('request validation failed');
    this.name = 'RequestValidationError';
  }
}

/** A problem raised directly by HTTP code (guards, middleware), with optional extensions and headers. */
export class ProblemError extends Error {
  constructor(
    readonly problem: ProblemType,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
    detail?: string,
  ) {
    super(detail ?? problem.title);
    this.name = 'ProblemError';
  }
}
