import { NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { ConcurrencyError, DomainError } from '@latchkey/event-store';
import { PROBLEMS, ProblemError, RequestValidationError } from './problem';
import { toProblem } from './problem.filter';

class TooManyAttempts extends DomainError {
  readonly code = 'too_many_attempts';
  constructor() {
    super('too many attempts');
    Object.assign(this.details, { retryAfterSeconds: 12.2, attemptsLeft: 0 });
  }
}

class Unmapped extends DomainError {
  readonly code = 'nobody_mapped_me';
}

describe('toProblem', () => {
  const domain = { too_many_attempts: { type: '/problems/too-many-attempts', title: 'Too many attempts', status: 429 } };

  it('maps a domain error by its code, with its safe details and a Retry-After header', () => {
    expect(toProblem(new TooManyAttempts(), domain)).toEqual({
      body: { type: '/problems/too-many-attempts', title: 'Too many attempts', status: 429, attemptsLeft: 0 },
      headers: { 'Retry-After': '13' },
      unexpected: false,
    });
  });

  it('answers 503 with a Retry-After when PostgreSQL or Redis is out of reach, and 500 for a statement the server refused', () => {
    const outages: unknown[] = [
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('connection failure'), { code: '08006' }),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('Connection terminated unexpectedly'),
      new Error('Query read timeout'),
      new Error('timeout exceeded when trying to connect'),
      Object.assign(new Error('Reached the max retries per request limit (which is 1).'), { name: 'MaxRetriesPerRequestError' }),
      new Error('Connection is closed.'),
    ];
    for (const error of outages) {
      expect(toProblem(error, domain)).toEqual({ body: PROBLEMS.unavailable, headers: { 'Retry-After': '5' }, unexpected: false, outage: true });
    }
    const refused = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
    expect(toProblem(refused, domain)).toMatchObject({ body: PROBLEMS.internal, unexpected: true });
    expect(toProblem(new Error('something else broke'), domain)).toMatchObject({ body: PROBLEMS.internal, unexpected: true });
  });

  it('treats an unmapped domain error as unexpected (a bug to fix), answering a bare 500', () => {
    expect(toProblem(new Unmapped('x'), domain)).toMatchObject({ body: PROBLEMS.internal, unexpected: true });
  });

  it('answers a lost optimistic-concurrency race with 409', () => {
    expect(toProblem(new ConcurrencyError('user-1', 3)).body).toEqual(PROBLEMS.conflict);
  });

  it('maps validation, explicit problems, HTTP exceptions and parser errors', () => {
    expect(toProblem(new RequestValidationError([{ field: 'email', message: 'must be an email' }])).body).toEqual({
      ...PROBLEMS.validation,
      errors: [{ field: 'email', message: 'must be an email' }],
    });
    expect(toProblem(new ProblemError(PROBLEMS.rateLimited, { limit: 10 }, { 'Retry-After': '5' }))).toMatchObject({
      body: { ...PROBLEMS.rateLimited, limit: 10 },
      headers: { 'Retry-After': '5' },
    });
    expect(toProblem(new NotFoundException()).body).toEqual(PROBLEMS.notFound);
    expect(toProblem(new PayloadTooLargeException()).body).toEqual(PROBLEMS.payloadTooLarge);
    expect(toProblem(Object.assign(new Error('too big'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })).body).toEqual(PROBLEMS.payloadTooLarge);
  });

  it('never lets an unknown error message through', () => {
    const result = toProblem(new Error('connection to 10.0.0.5 refused, password=x'));
    expect(result).toMatchObject({ body: PROBLEMS.internal, unexpected: true });
    expect(JSON.stringify(result.body)).not.toContain('10.0.0.5');
  });
});
