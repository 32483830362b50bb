import type { INestApplication, INestApplicationContext, LoggerService } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { drainHttp } from './http/fastify';

/**
 * Stops the app on SIGTERM or SIGINT: the HTTP server stops taking requests and every request
 * already taken is answered (also one whose client hung up: its handler still runs and needs the
 * database), then Nest runs the shutdown hooks (workers finish or release their jobs, the
 * database pool closes) and the process exits. If that takes longer than `timeoutMs`, the
 * process exits anyway with code 1.
 */
export function stopOnSignals(app: INestApplication | INestApplicationContext, logger: LoggerService, timeoutMs: number): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received, shutting down`, 'Lifecycle');
    const timer = setTimeout(() => {
      logger.error(`shutdown took longer than ${timeoutMs} ms, exiting`, undefined, 'Lifecycle');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    const http = 'getHttpAdapter' in app ? (app as INestApplication).getHttpAdapter().getInstance() as FastifyInstance : undefined;
    (http ? drainHttp(http, timeoutMs / 2) : Promise.resolve({ unfinished: 0 }))
      .then(({ unfinished }) => {
        if (unfinished > 0) logger.warn(`${unfinished} requests still unanswered after ${timeoutMs / 2} ms; stopping anyway`, 'Lifecycle');
        return app.close();
      })
      .then(
      () => {
        logger.log('stopped', 'Lifecycle');
        process.exit(0);
      },
      (error: Error) => {
        logger.error(`shutdown failed: ${error.message}`, error.stack, 'Lifecycle');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** One line on stderr and exit code 1: for failures before the logger exists (database unreachable, ...). */
export function exitWithStartupError(app: string, error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`latchkey-${app}: cannot start: ${message.split('\n')[0]}\n`);
  process.exit(1);
}
