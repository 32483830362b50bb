import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

/** Time, injected so that tests move it instead of sleeping. */
export abstract class Clock {
  abstract now(): Date;
}

@Injectable()
export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

/** Identifiers for new streams and events, injected for deterministic tests. */
export abstract class IdGenerator {
  abstract next(): string;
}

@Injectable()
export class RandomIdGenerator extends IdGenerator {
  next(): string {
    return randomUUID();
  }
}
