/** What passport needs of a strategy (structural: passport-saml brings its own Express typings). */
interface Strategy {
  authenticate(this: unknown, request: never, options: never): void;
}

export type StrategyOutcome =
  | { kind: 'success'; user: unknown }
  | { kind: 'fail'; challenge: unknown }
  | { kind: 'error'; error: Error }
  | { kind: 'redirect'; url: string }
  | { kind: 'pass' };

/**
 * Runs a passport strategy once, as passport's `authenticate` middleware would, and reports
 * how it ended. Passport's own middleware writes to an Express response; this lets the strategy
 * decide while our Fastify handlers answer.
 */
export function runStrategy(strategy: Strategy, request: object, options: object = {}): Promise<StrategyOutcome> {
  return new Promise((resolve) => {
    const run = Object.create(strategy) as Record<string, unknown> & { authenticate(request: object, options: object): void };
    run.success = (user: unknown) => resolve({ kind: 'success', user });
    run.fail = (challenge: unknown) => resolve({ kind: 'fail', challenge });
    run.error = (error: Error) => resolve({ kind: 'error', error });
    run.redirect = (url: string) => resolve({ kind: 'redirect', url });
    run.pass = () => resolve({ kind: 'pass' });
    try {
      run.authenticate(request, options);
    } catch (error) {
      resolve({ kind: 'error', error: error as Error });
    }
  });
}
