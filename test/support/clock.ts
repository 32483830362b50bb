import { Clock } from '@latchkey/event-store';

/** Real time plus an offset the test moves forward, so expiry is tested without sleeping. */
export class TestClock extends Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
}
