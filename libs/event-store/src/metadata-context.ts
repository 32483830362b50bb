import { Injectable } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { randomUUID } from 'node:crypto';
import type { Actor, EventMetadata } from './event';

/** Keys under which the request (or job) context keeps what goes into event metadata. */
export const CONTEXT_KEYS = {
  correlationId: 'latchkey.correlationId',
  causationId: 'latchkey.causationId',
  actor: 'latchkey.actor',
  ip: 'latchkey.ip',
  userAgent: 'latchkey.userAgent',
} as const;

const ANONYMOUS: Actor = { type: 'anonymous', id: null };
const SYSTEM: Actor = { type: 'system', id: null };

/**
 * Fills event metadata from the current request or job context (nestjs-cls). Outside any
 * context (start-up, scripts) the actor is "system" and a fresh correlation id is used.
 */
@Injectable()
export class MetadataContext {
  constructor(private readonly cls: ClsService) {}

  current(): EventMetadata {
    if (!this.cls.isActive()) {
      return { correlationId: randomUUID(), causationId: null, actor: SYSTEM, ip: null, userAgent: null };
    }
    const correlationId = this.cls.get<string | undefined>(CONTEXT_KEYS.correlationId) ?? this.cls.getId() ?? randomUUID();
    return {
      correlationId,
      causationId: this.cls.get<string | undefined>(CONTEXT_KEYS.causationId) ?? correlationId,
      actor: this.cls.get<Actor | undefined>(CONTEXT_KEYS.actor) ?? ANONYMOUS,
      ip: this.cls.get<string | undefined>(CONTEXT_KEYS.ip) ?? null,
      userAgent: this.cls.get<string | undefined>(CONTEXT_KEYS.userAgent) ?? null,
    };
  }

  /** Sets who acts for the rest of this request (the auth guard calls it). */
  setActor(actor: Actor): void {
    if (this.cls.isActive()) this.cls.set(CONTEXT_KEYS.actor, actor);
  }

  /** Runs `fn` in a context of its own, e.g. one job or one event handled by a worker. */
  run<T>(values: Partial<EventMetadata>, fn: () => Promise<T>): Promise<T> {
    return this.cls.run(async () => {
      const correlationId = values.correlationId ?? randomUUID();
      this.cls.set(CONTEXT_KEYS.correlationId, correlationId);
      this.cls.set(CONTEXT_KEYS.causationId, values.causationId ?? correlationId);
      this.cls.set(CONTEXT_KEYS.actor, values.actor ?? SYSTEM);
      this.cls.set(CONTEXT_KEYS.ip, values.ip ?? undefined);
      this.cls.set(CONTEXT_KEYS.userAgent, values.userAgent ?? undefined);
      return fn();
    });
  }
}
