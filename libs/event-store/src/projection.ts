import { Injectable } from '@nestjs/common';
import type { StoredEvent } from './event';
import type { Sql } from './sql';

/**
 * A read model fed by events. `apply` gets, in order, only the events whose type is in
 * `handles`, possibly many at once (a rebuild hands over thousands), and should write
 * them set-wise. It must be deterministic: replaying the same events gives the same rows.
 *
 * An inline projection only writes: during an append its statements are collected and sent
 * with the events in one message, so `query` resolves with no rows there, and the events it is
 * handed carry no `globalPosition` or `transactionId` yet (both are 0). Each statement is
 * prepared once per connection and run with its values as literals (`EXECUTE name('…')`), or,
 * when it cannot be prepared, with each `$n` replaced by its literal in the text: give one
 * statement per `query`, `$n` only as a parameter (never inside a string or a comment), and
 * parameters that get their type from where they stand (a column, a cast), as in any prepared
 * statement. Async projections get stored events and may read, but only their own tables: a
 * rebuild writes them in a transaction of their own while another holds the inline ones
 * (see `ProjectionRebuilder`).
 */
export interface Projection {
  readonly name: string;
  readonly handles: readonly string[];
  /** Tables it owns (schema-qualified); a rebuild truncates them before replaying. */
  readonly tables: readonly string[];
  /**
   * Indexes on its tables (schema-qualified names) that only serve queries: no statement of a
   * projection needs them while events are replayed. A rebuild drops them after the truncate and
   * creates them again from their definitions once every event is in, in the same transaction —
   * one sorted build instead of an index insertion for every row written (and, for a row updated
   * many times during the replay, for every version of it). Leave out an index that a write uses
   * to find its rows one at a time (`UPDATE … WHERE user_id = $1`) or that `ON CONFLICT` relies on.
   * A primary key or unique constraint may be listed by its index's name when the writes only use
   * it set-wise (`UPDATE … FROM unnest(…) WHERE t.id = x.id` runs as a hash join without it): it
   * is dropped with its constraint and added back, and the rows are checked against it then, once.
   */
  readonly queryOnlyIndexes?: readonly string[];
  apply(events: readonly StoredEvent[], sql: Sql): Promise<void>;
}

/**
 * Inline projections run inside the append's transaction: what an auth decision reads is
 * never behind the events. Async projections run from a checkpointed subscription in the
 * worker (audit and login history, statistics) and never slow a login.
 */
@Injectable()
export class ProjectionRegistry {
  private readonly inlineProjections: Projection[] = [];
  private readonly asyncProjections: Projection[] = [];

  registerInline(projection: Projection): void {
    this.assertNew(projection);
    this.inlineProjections.push(projection);
  }

  registerAsync(projection: Projection): void {
    this.assertNew(projection);
    this.asyncProjections.push(projection);
  }

  inline(): readonly Projection[] {
    return this.inlineProjections;
  }

  async(): readonly Projection[] {
    return this.asyncProjections;
  }

  /** Runs each projection on the events it handles, in registration order. */
  static async applyAll(projections: readonly Projection[], events: readonly StoredEvent[], sql: Sql): Promise<void> {
    for (const projection of projections) {
      const mine = events.filter((e) => projection.handles.includes(e.type));
      if (mine.length > 0) await projection.apply(mine, sql);
    }
  }

  private assertNew(projection: Projection): void {
    const all = [...this.inlineProjections, ...this.asyncProjections];
    if (all.some((p) => p.name === projection.name)) throw new Error(`projection "${projection.name}" is registered twice`);
    for (const table of projection.tables) {
      const owner = all.find((p) => p.tables.includes(table));
      if (owner) throw new Error(`table ${table} is owned by projection "${owner.name}" and "${projection.name}"`);
    }
  }
}
