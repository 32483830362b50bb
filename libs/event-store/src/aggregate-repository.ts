import { Injectable, Logger } from '@nestjs/common';
import type { AggregateClass, EventSourcedAggregate } from './aggregate';
import { ConcurrencyError } from './errors';
import type { StoredEvent } from './event';
import { EventStore, type AppendOptions } from './event-store';
import { EventTypeRegistry } from './event-type-registry';

/** How many times a command is decided again after losing a race on one of its streams. */
export const MAX_COMMAND_ATTEMPTS = 5;

type AnyAggregate = EventSourcedAggregate<unknown>;

/** Loads aggregates by replaying their stream and saves them at the version they were loaded. */
@Injectable()
export class AggregateRepository {
  private readonly logger = new Logger(AggregateRepository.name);

  constructor(
    private readonly store: EventStore,
    private readonly types: EventTypeRegistry,
  ) {}

  async load<A extends AnyAggregate>(type: AggregateClass<A>, id: string): Promise<A> {
    const aggregate = new type(id);
    const stored = await this.store.readStream(aggregate.streamId);
    aggregate.restore(
      stored.map((e) => this.types.toDomain(e)),
      stored.length > 0 ? stored[stored.length - 1].version : 0,
    );
    return aggregate;
  }

  /**
   * Saves the new events of one or more aggregates atomically, with their unique claims.
   * Throws `ConcurrencyError` if any stream moved since it was loaded.
   */
  async save(aggregates: AnyAggregate | readonly AnyAggregate[], options: Pick<AppendOptions, 'metadata'> = {}): Promise<StoredEvent[]> {
    const list = Array.isArray(aggregates) ? (aggregates as AnyAggregate[]) : [aggregates as AnyAggregate];
    const claims = list.flatMap((a) => a.pendingClaims().claims.map((c) => ({ owner: a.streamId, ...c })));
    const releases = list.flatMap((a) => a.pendingClaims().releases.map((c) => ({ owner: a.streamId, ...c })));
    const stored = await this.store.appendMany(
      list.map((a) => ({ streamId: a.streamId, expectedVersion: a.version, events: a.getUncommittedEvents() })),
      { claims, releases, metadata: options.metadata },
    );
    for (const aggregate of list) {
      const mine = stored.filter((e) => e.streamId === aggregate.streamId);
      aggregate.markSaved(mine.length > 0 ? mine[mine.length - 1].version : aggregate.version);
    }
    return stored;
  }

  /** Load, decide, save; decided again on fresh state when another writer got there first. */
  update<A extends AnyAggregate, R>(type: AggregateClass<A>, id: string, decide: (aggregate: A) => R | Promise<R>): Promise<R> {
    return this.retrying(async () => {
      const aggregate = await this.load(type, id);
      const result = await decide(aggregate);
      await this.save(aggregate);
      return result;
    });
  }

  /** Runs a whole command again (bounded) when it loses an optimistic-concurrency race. */
  async retrying<R>(command: () => Promise<R>, attempts = MAX_COMMAND_ATTEMPTS): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await command();
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= attempts) throw error;
        this.logger.debug(`concurrency conflict on ${error.streamId}, attempt ${attempt} of ${attempts}`);
        // Randomized, growing back-off keeps retrying writers from colliding again in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** attempt));
      }
    }
  }
}
