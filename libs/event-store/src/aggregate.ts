import { AggregateRoot } from '@nestjs/cqrs';
import type { DomainEvent } from './event';
import type { UniqueClaim } from './event-store';

/**
 * Base for event-sourced aggregates: state is a fold of a pure `evolve` over the stream;
 * decisions (methods of the subclass) validate, then `apply` new events. No I/O here:
 * the repository loads and saves, time and ids come in as arguments.
 */
export abstract class EventSourcedAggregate<TState> extends AggregateRoot<DomainEvent> {
  protected state: TState;
  private loadedVersion = 0;
  private readonly claims: UniqueClaim[] = [];
  private readonly releases: UniqueClaim[] = [];

  constructor(readonly id: string) {
    super();
    this.state = this.initialState();
  }

  /** The stream's type prefix, e.g. `user` for `user-<id>`. */
  abstract get streamType(): string;
  protected abstract initialState(): TState;
  protected abstract evolve(state: TState, event: DomainEvent): TState;

  get streamId(): string {
    return `${this.streamType}-${this.id}`;
  }

  /** The stream version this aggregate was loaded at (0 for a new one). */
  get version(): number {
    return this.loadedVersion;
  }

  /** Whether anything has happened to it yet, stored or pending. */
  get exists(): boolean {
    return this.loadedVersion > 0 || this.getUncommittedEvents().length > 0;
  }

  /** Rebuilds state from stored events (the repository calls it). */
  restore(events: readonly DomainEvent[], version: number): void {
    this.loadFromHistory([...events]);
    this.loadedVersion = version;
  }

  /**
   * Restores state from a read model row instead of replaying the stream (a narrow write
   * model for hot paths). Only sound when the caller holds the stream's exclusive lock or the
   * row's version is used as the expected version, so a stale row fails the append.
   */
  hydrate(state: TState, version: number): this {
    this.state = state;
    this.loadedVersion = version;
    return this;
  }

  /**
   * Unique values this change needs, taken in the same transaction as its events. The owner is
   * this aggregate's stream unless another is named (a value several aggregates of one owner
   * may hold in turn).
   */
  protected claim(scope: string, value: string, owner?: string): void {
    this.claims.push({ scope, value, ...(owner ? { owner } : {}) });
  }

  protected releaseClaim(scope: string, value: string): void {
    this.releases.push({ scope, value });
  }

  pendingClaims(): { claims: UniqueClaim[]; releases: UniqueClaim[] } {
    return { claims: [...this.claims], releases: [...this.releases] };
  }

  /** After a successful save: the new events are now part of the loaded version. */
  markSaved(newVersion: number): void {
    this.uncommit();
    this.claims.length = 0;
    this.releases.length = 0;
    this.loadedVersion = newVersion;
  }

  // AggregateRoot would call `on<ClassName>` handlers; every event goes through `evolve` instead.
  override apply<T extends DomainEvent>(event: T, isFromHistory?: boolean): void;
  override apply<T extends DomainEvent>(event: T, options?: { fromHistory?: boolean; skipHandler?: boolean }): void;
  override apply<T extends DomainEvent>(event: T, options?: boolean | { fromHistory?: boolean; skipHandler?: boolean }): void {
    const fromHistory = typeof options === 'boolean' ? options : (options?.fromHistory ?? false);
    super.apply(event, { fromHistory, skipHandler: true });
    this.state = this.evolve(this.state, event);
  }
}

export type AggregateClass<A extends EventSourcedAggregate<unknown>> = new (id: string) => A;
