import { Injectable, Logger } from '@nestjs/common';
import type { AggregateClass, EventSourcedAggregate } from './aggregate';
import { ConcurrencyError } from './errors';
import type { EventMetadata, StoredEvent } from './event';
import { EventStore, type AppendOptions, type StoreSession } from './event-store';
import { EventTypeRegistry } from './event-type-registry';
import type { Sql } from './sql';

/** How many times a command is decided again after losing a race on one of its streams. */
export const MAX_COMMAND_ATTEMPTS = 5;

type AnyAggregate = EventSourcedAggregate<unknown>;

/**
 * Aggregates loaded or created inside `AggregateRepository.exclusive`: all of them are saved
 * together, in the locked transaction, when the work returns.
 */
export class UnitOfWork {
  private readonly tracked: AnyAggregate[] = [];

  constructor(
    private readonly session: StoreSession,
    private readonly types: EventTypeRegistry,
  ) {}

  /** The locked transaction, for reading read models consistently with the lock. */
  get sql(): Sql {
    return this.session.sql;
  }

  async load<A extends AnyAggregate>(type: AggregateClass<A>, id: string): Promise<A> {
    const aggregate = new type(id);
    const stored = await this.session.readStream(aggregate.streamId);
    aggregate.restore(
      stored.map((e) => this.types.toDomain(e)),
      stored.length > 0 ? stored[stored.length - 1].version : 0,
    );
    return this.add(aggregate);
  }

  /** Tracks a new (or separately loaded) aggregate so its events are saved with the rest. */
  add<A extends AnyAggregate>(aggregate: A): A {
    if (!this.tracked.includes(aggregate)) this.tracked.push(aggregate);
    return aggregate;
  }

  /** Saves what was loaded or added, and ends the transaction with the same message. */
  async commit(): Promise<StoredEvent[]> {
    const list = this.tracked;
    const stored = await this.session.appendAndCommit(
      list.map((a) => ({ streamId: a.streamId, expectedVersion: a.version, events: a.getUncommittedEvents() })),
      {
        claims: list.flatMap((a) => a.pendingClaims().claims.map((c) => ({ owner: a.streamId, ...c }))),
        releases: list.flatMap((a) => a.pendingClaims().releases.map((c) => ({ owner: a.streamId, ...c }))),
      },
    );
    for (const aggregate of list) {
      const mine = stored.filter((e) => e.streamId === aggregate.streamId);
      aggregate.markSaved(mine.length > 0 ? mine[mine.length - 1].version : aggregate.version);
    }
    return stored;
  }
}

/** Loads aggregates by replaying their stream and saves them at the version they were loaded. */
@Injectable()
export class AggregateRepository {
  private readonly logger = new Logger(AggregateRepository.name);

  constructor(
    private readonly store: EventStore,
    private readonly types: EventTypeRegistry,
  ) {}

  async load<A extends AnyAggregate>(type: AggregateClass<A>, id: string): Promise<A> {
    return (await this.loadWithHistory(type, id)).aggregate;
  }

  /** The aggregate and the stored events it was built from (for callers that need an event's payload too). */
  async loadWithHistory<A extends AnyAggregate>(type: AggregateClass<A>, id: string): Promise<{ aggregate: A; history: StoredEvent[] }> {
    const aggregate = new type(id);
    return { aggregate, history: this.restored(aggregate, await this.store.readStream(aggregate.streamId)) };
  }

  /** Several aggregates of one type, each with the stored events it was built from, in one read. */
  async loadManyWithHistory<A extends AnyAggregate>(type: AggregateClass<A>, ids: readonly string[]): Promise<{ aggregate: A; history: StoredEvent[] }[]> {
    const aggregates = ids.map((id) => new type(id));
    const streams = await this.store.readStreams(aggregates.map((a) => a.streamId));
    return aggregates.map((aggregate) => ({ aggregate, history: this.restored(aggregate, streams.get(aggregate.streamId) ?? []) }));
  }

  /** Replays `history` into a new aggregate; returns the history. */
  private restored(aggregate: AnyAggregate, history: StoredEvent[]): StoredEvent[] {
    aggregate.restore(
      history.map((e) => this.types.toDomain(e)),
      history.length > 0 ? history[history.length - 1].version : 0,
    );
    return history;
  }

  /**
   * Saves the new events of one or more aggregates atomically, with their unique claims.
   * Throws `ConcurrencyError` if any stream moved since it was loaded. `metadataOf` gives an
   * aggregate's events metadata of their own (when one save carries the work of several jobs).
   */
  async save(
    aggregates: AnyAggregate | readonly AnyAggregate[],
    options: Pick<AppendOptions, 'metadata'> & { metadataOf?: (aggregate: AnyAggregate) => Partial<EventMetadata> | undefined } = {},
  ): Promise<StoredEvent[]> {
    const list = Array.isArray(aggregates) ? (aggregates as AnyAggregate[]) : [aggregates as AnyAggregate];
    const claims = list.flatMap((a) => a.pendingClaims().claims.map((c) => ({ owner: a.streamId, ...c })));
    const releases = list.flatMap((a) => a.pendingClaims().releases.map((c) => ({ owner: a.streamId, ...c })));
    const stored = await this.store.appendMany(
      list.map((a) => ({ streamId: a.streamId, expectedVersion: a.version, events: a.getUncommittedEvents(), metadata: options.metadataOf?.(a) })),
      { claims, releases, metadata: options.metadata },
    );
    for (const aggregate of list) {
      const mine = stored.filter((e) => e.streamId === aggregate.streamId);
      aggregate.markSaved(mine.length > 0 ? mine[mine.length - 1].version : aggregate.version);
    }
    return stored;
  }

  /** Load, decide, save; decided again on fresh state when another writer got there first. */
  update<A extends AnyAggregate, R>(
    type: AggregateClass<A>,
    id: string,
    decide: (aggregate: A) => R | Promise<R>,
    options: Pick<AppendOptions, 'metadata'> = {},
  ): Promise<R> {
    return this.retrying(async () => {
      const aggregate = await this.load(type, id);
      const result = await decide(aggregate);
      await this.save(aggregate, options);
      return result;
    });
  }

  /**
   * Runs a command under an exclusive lock on `lockKey` (a stream id): every command on that
   * key, in any process, waits its turn, so contended decisions (one-time codes, refresh
   * tokens) are made one at a time on fresh state rather than retried. What the work loads or
   * adds through the unit of work is saved atomically when it returns; what it returns is
   * handed back after the commit (so a failure outcome can be recorded, then reported).
   */
  async exclusive<R>(lockKeys: string | readonly string[], work: (uow: UnitOfWork) => Promise<R>): Promise<R> {
    return this.retrying(() =>
      this.store.exclusive(typeof lockKeys === 'string' ? [lockKeys] : lockKeys, async (session) => {
        const uow = new UnitOfWork(session, this.types);
        const result = await work(uow);
        await uow.commit();
        return result;
      }),
    );
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
