import { DomainError } from '@latchkey/event-store';
import * as identity from '@latchkey/identity';
import * as security from '@latchkey/security';
import { domainProblems } from './problems';

/** Every domain error a request can raise must have a problem type, or the caller would get a 500. */
describe('domain problem table', () => {
  const errorClasses = [...Object.values(identity), ...Object.values(security)].filter(
    (value): value is new (...args: never[]) => DomainError => typeof value === 'function' && value.prototype instanceof DomainError,
  );

  it('finds the domain errors to check', () => {
    expect(errorClasses.length).toBeGreaterThan(15);
  });

  it.each(errorClasses.map((cls) => [cls.name, cls]))('maps %s', (_name, cls) => {
    const error = new (cls as unknown as new (...args: unknown[]) => DomainError)([]);
    expect(domainProblems[error.code]).toBeDefined();
    expect(domainProblems[error.code].type).toMatch(/^\/problems\/[a-z-]+$/);
    expect(domainProblems[error.code].status).toBeGreaterThanOrEqual(400);
  });
});
