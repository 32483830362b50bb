import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { DomainError, EventSourcedAggregate, defineEvent, type DomainEvent, type Projection, type Sql, type StoredEvent } from '@latchkey/event-store';

/**
 * A small domain used to exercise the event-store machinery in tests: counters that are
 * opened under a unique name, incremented, and annotated with notes.
 */
export class CounterOpened extends defineEvent('sample.counter_opened', z.object({ name: z.string().min(1) })) {}
export class CounterIncremented extends defineEvent('sample.counter_incremented', z.object({ by: z.number().int() })) {}
/** v1 was `{text}`; v2 added tags. */
export class NoteAdded extends defineEvent('sample.note_added', z.object({ text: z.string(), tags: z.array(z.string()) }), {
  upcasters: [(v1) => ({ ...v1, tags: [] })],
}) {}

export const SAMPLE_EVENTS = [CounterOpened, CounterIncremented, NoteAdded];

export class CounterClosedError extends DomainError {
  readonly code = 'counter_not_open';
}

interface CounterState {
  open: boolean;
  name: string | null;
  value: number;
}

export class Counter extends EventSourcedAggregate<CounterState> {
  get streamType(): string {
    return 'counter';
  }

  protected initialState(): CounterState {
    return { open: false, name: null, value: 0 };
  }

  protected evolve(state: CounterState, event: DomainEvent): CounterState {
    if (event instanceof CounterOpened) return { ...state, open: true, name: event.data.name };
    if (event instanceof CounterIncremented) return { ...state, value: state.value + event.data.by };
    return state;
  }

  get value(): number {
    return this.state.value;
  }

  open(name: string): void {
    this.claim('sample.counter_name', name.toLowerCase());
    this.apply(new CounterOpened({ name }));
  }

  increment(by: number): void {
    if (!this.state.open) throw new CounterClosedError('counter is not open');
    this.apply(new CounterIncremented({ by }));
  }

  note(text: string, tags: string[] = []): void {
    this.apply(new NoteAdded({ text, tags }));
  }
}

export const SAMPLE_TABLES_SQL = `
  CREATE TABLE IF NOT EXISTS read.sample_counters (id text PRIMARY KEY, name text NOT NULL, value integer NOT NULL, version integer NOT NULL);
  CREATE TABLE IF NOT EXISTS read.sample_note_stats (counter_id text PRIMARY KEY, notes integer NOT NULL, tags integer NOT NULL, last_position bigint NOT NULL);
  CREATE INDEX IF NOT EXISTS sample_note_stats_busiest_idx ON read.sample_note_stats (notes DESC, counter_id) WHERE notes > 0;
`;

/** Inline: the current value of each counter, written set-wise per batch. */
@Injectable()
export class SampleCountersProjection implements Projection {
  readonly name = 'sample-counters';
  readonly handles = [CounterOpened.type, CounterIncremented.type];
  readonly tables = ['read.sample_counters'];
  // Its writes find counters set-wise (a join on the batch), so a rebuild may build the key last.
  readonly queryOnlyIndexes = ['read.sample_counters_pkey'];

  async apply(events: readonly StoredEvent[], sql: Sql): Promise<void> {
    const opened = events.filter((e) => e.type === CounterOpened.type) as StoredEvent<{ name: string }>[];
    if (opened.length > 0) {
      await sql.query(
        `INSERT INTO read.sample_counters (id, name, value, version)
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[])`,
        [opened.map((e) => e.streamId), opened.map((e) => e.data.name), opened.map(() => 0), opened.map((e) => e.version)],
      );
    }
    const increments = new Map<string, { by: number; version: number }>();
    for (const e of events as StoredEvent<{ by: number }>[]) {
      if (e.type !== CounterIncremented.type) continue;
      const sum = increments.get(e.streamId) ?? { by: 0, version: 0 };
      increments.set(e.streamId, { by: sum.by + e.data.by, version: Math.max(sum.version, e.version) });
    }
    if (increments.size > 0) {
      const ids = [...increments.keys()];
      await sql.query(
        `UPDATE read.sample_counters c SET value = c.value + x.by, version = greatest(c.version, x.version)
           FROM unnest($1::text[], $2::int[], $3::int[]) AS x(id, by, version) WHERE c.id = x.id`,
        [ids, ids.map((id) => increments.get(id)!.by), ids.map((id) => increments.get(id)!.version)],
      );
    }
  }
}

/** Async: notes and tags per counter, from the subscription. */
@Injectable()
export class SampleNoteStatsProjection implements Projection {
  readonly name = 'sample-note-stats';
  readonly handles = [NoteAdded.type];
  readonly tables = ['read.sample_note_stats'];
  readonly queryOnlyIndexes = ['read.sample_note_stats_busiest_idx'];

  async apply(events: readonly StoredEvent[], sql: Sql): Promise<void> {
    const stats = new Map<string, { notes: number; tags: number; last: number }>();
    for (const e of events as StoredEvent<{ tags: string[] }>[]) {
      const s = stats.get(e.streamId) ?? { notes: 0, tags: 0, last: 0 };
      stats.set(e.streamId, { notes: s.notes + 1, tags: s.tags + e.data.tags.length, last: e.globalPosition });
    }
    const ids = [...stats.keys()];
    await sql.query(
      `INSERT INTO read.sample_note_stats (counter_id, notes, tags, last_position)
       SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::bigint[])
       ON CONFLICT (counter_id) DO UPDATE SET notes = read.sample_note_stats.notes + EXCLUDED.notes,
         tags = read.sample_note_stats.tags + EXCLUDED.tags, last_position = EXCLUDED.last_position`,
      [ids, ids.map((id) => stats.get(id)!.notes), ids.map((id) => stats.get(id)!.tags), ids.map((id) => stats.get(id)!.last)],
    );
  }
}
