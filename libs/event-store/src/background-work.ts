import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';

/**
 * Work a command starts and does not wait for (a forgot-password request answers at once and
 * looks the login up afterwards). Shutdown waits for it before the database closes, so work a
 * caller was already told about is done, not cut off half-way.
 */
@Injectable()
export class BackgroundWork implements BeforeApplicationShutdown {
  private readonly logger = new Logger(BackgroundWork.name);
  private readonly pending = new Set<Promise<void>>();

  /** Runs `work` now without making the caller wait; a failure is logged under `name`. */
  start(name: string, work: () => Promise<unknown>): void {
    const running: Promise<void> = work()
      .then(() => undefined)
      .catch((error: Error) => this.logger.error(`${name} failed: ${error.message}`))
      .finally(() => this.pending.delete(running));
    this.pending.add(running);
  }

  async beforeApplicationShutdown(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
