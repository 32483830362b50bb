import type { DomainProblemMap } from '@latchkey/platform';

/**
 * Domain error code → problem type. The one place where domain failures meet HTTP; every
 * code a command can throw must be here (a test checks it), or the caller would see a 500.
 */
export const domainProblems: DomainProblemMap = {
  concurrency: { type: '/problems/conflict', title: 'The resource changed meanwhile; try again', status: 409 },
};
