import { AggregateRepository, AsyncProjectionRunner, EventStore, ProjectionRebuilder, ProjectionRegistry, type Projection } from '@latchkey/event-store';
import { DataSource } from 'typeorm';
import {
  Counter,
  CAUGHT_UP_SQL,
  CounterOpened,
  NoteAdded,
  SAMPLE_EVENTS,
  SAMPLE_TABLES_SQL,
  SampleCountersProjection,
  SampleNoteStatsProjection,
  builtEntry,
  runNode,
  startContext,
  testEnvironment,
  type TestContext,
} from '@latchkey/testing';

let ctx: TestContext;

/** A projection that throws on the first events it gets (`message` null: one that does nothing). */
function failing(name: string, message: string | null): Projection {
  return {
    name,
    handles: [CounterOpened.type],
    tables: [],
    apply: async () => {
      if (message) throw new Error(message);
    },
  };
}

beforeAll(async () => {
  ctx = await startContext(
    'rebuild',
    { events: SAMPLE_EVENTS, inlineProjections: [SampleCountersProjection], asyncProjections: [SampleNoteStatsProjection] },
    { setupSql: SAMPLE_TABLES_SQL },
  );
  ctx.app.get(AsyncProjectionRunner).start({ idleDelayMs: 20, standbyRetryMs: 50 });
});

afterAll(async () => {
  await ctx.app.get(AsyncProjectionRunner).stop();
  await ctx.close();
});

async function snapshot(): Promise<{ counters: unknown[]; notes: unknown[] }> {
  const counters = (await ctx.pg.query(`SELECT * FROM read.sample_counters ORDER BY id`)).rows;
  const notes = (await ctx.pg.query(`SELECT * FROM read.sample_note_stats ORDER BY counter_id`)).rows;
  return { counters, notes };
}

/** The read-model indexes as PostgreSQL describes them, with whether each is usable and the constraint it backs. */
async function indexes(): Promise<unknown[]> {
  const { rows } = await ctx.pg.query(
    `SELECT c.relname, pg_get_indexdef(i.indexrelid) AS definition, i.indisvalid AS valid,
            (SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid) AS "constraint"
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'read' AND c.relname LIKE 'sample%' ORDER BY c.relname`,
  );
  return rows;
}

async function asyncCaughtUp(): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    // Caught up means the notes are counted and the subscription has also read past the events
    // after the last note (its checkpoint would otherwise still move under the test's feet).
    // Caught up: no event after its checkpoint in its reading order (see CAUGHT_UP_SQL), and
    // every note counted.
    const [{ caughtUp }] = (await ctx.pg.query(CAUGHT_UP_SQL, ['projection:sample-note-stats'])).rows;
    const { rows } = await ctx.pg.query(
      `SELECT (SELECT max(global_position) FROM events WHERE type = 'sample.note_added') AS last,
              (SELECT max(last_position) FROM read.sample_note_stats) AS seen`,
    );
    if (caughtUp && rows[0].last === rows[0].seen) return;
    if (Date.now() > deadline) throw new Error('async projection did not catch up');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A few hundred events of every kind over 30 counters, some written concurrently. */
async function mixedHistory(seed: number): Promise<number> {
  const repository = ctx.app.get(AggregateRepository);
  let events = 0;
  for (let c = 0; c < 30; c++) {
    const id = `s${seed}-${c}`;
    const counter = new Counter(id);
    counter.open(`counter ${seed}/${c}`);
    for (let i = 0; i < c % 7; i++) counter.increment(i - 2);
    for (let n = 0; n < c % 4; n++) counter.note(`note ${n}`, n % 2 ? ['a', 'b'] : []);
    events += counter.getUncommittedEvents().length;
    await repository.save(counter);
  }
  await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      repository.update(Counter, `s${seed}-${i % 30}`, (counter) => {
        counter.increment(i);
        if (i % 3 === 0) counter.note(`late ${i}`, ['x']);
      }),
    ),
  );
  return events + 60 + 20;
}

describe('projections:rebuild', () => {
  it('replays every event into read models equal, row for row, to the ones kept inline and async', async () => {
    const written = await mixedHistory(1);
    expect(written).toBeGreaterThan(200);
    await asyncCaughtUp();
    const before = await snapshot();
    expect(before.counters).toHaveLength(30);
    const indexesBefore = await indexes();
    expect(indexesBefore).toContainEqual(expect.objectContaining({ relname: 'sample_note_stats_busiest_idx', valid: true }));
    expect(indexesBefore).toContainEqual(expect.objectContaining({ relname: 'sample_counters_pkey', valid: true, constraint: 'PRIMARY KEY (id)' }));

    // Scribble over the read models: a rebuild must not care what they held.
    await ctx.pg.query(`UPDATE read.sample_counters SET value = -1`);
    await ctx.pg.query(`DELETE FROM read.sample_note_stats WHERE counter_id LIKE '%-1%'`);

    const result = await ctx.app.get(ProjectionRebuilder).rebuild({ batchSize: 64 });
    expect(result.events).toBeGreaterThanOrEqual(written);
    expect(result.projections).toEqual(['sample-counters', 'sample-note-stats']);
    expect(await snapshot()).toEqual(before);
    // The query-only indexes (one a primary key) were dropped for the replay and are back as they were.
    expect(await indexes()).toEqual(indexesBefore);
  });

  it('checks a deferred primary key when it is built again: a duplicate fails the rebuild and changes nothing', async () => {
    await mixedHistory(7);
    await asyncCaughtUp();
    await ctx.pg.query(`CREATE TABLE read.sample_first_words (word text PRIMARY KEY)`);
    const before = await snapshot();
    const indexesBefore = await indexes();
    const registry = new ProjectionRegistry();
    registry.registerInline(ctx.app.get(SampleCountersProjection));
    // Every counter is named "counter …": the second opening repeats the key.
    registry.registerInline({
      name: 'first-words',
      handles: [CounterOpened.type],
      tables: ['read.sample_first_words'],
      queryOnlyIndexes: ['read.sample_first_words_pkey'],
      apply: async (events, sql) => {
        await sql.query(`INSERT INTO read.sample_first_words (word) SELECT split_part(n, ' ', 1) FROM unnest($1::text[]) AS n`, [
          events.map((e) => (e.data as { name: string }).name),
        ]);
      },
    });
    const rebuilder = new ProjectionRebuilder(ctx.app.get(DataSource), ctx.app.get(EventStore), registry, ctx.config);
    await expect(rebuilder.rebuild()).rejects.toThrow('could not create unique index "sample_first_words_pkey"');
    expect(await snapshot()).toEqual(before);
    expect(await indexes()).toEqual(indexesBefore);
    expect(indexesBefore).toContainEqual(expect.objectContaining({ relname: 'sample_first_words_pkey', constraint: 'PRIMARY KEY (word)' }));
    await ctx.pg.query(`DROP TABLE read.sample_first_words`);
  });

  it('refuses a query-only index that is not on the projection\'s tables, and changes nothing', async () => {
    await mixedHistory(6);
    await asyncCaughtUp();
    const before = await snapshot();
    const registry = new ProjectionRegistry();
    registry.registerInline(ctx.app.get(SampleCountersProjection));
    registry.registerAsync({
      name: 'misdeclared',
      handles: [],
      tables: ['read.sample_note_stats'],
      queryOnlyIndexes: ['read.sample_counters_pkey'],
      apply: async () => undefined,
    });
    const rebuilder = new ProjectionRebuilder(ctx.app.get(DataSource), ctx.app.get(EventStore), registry, ctx.config);
    await expect(rebuilder.rebuild()).rejects.toThrow(
      'projection "misdeclared" declares read.sample_counters_pkey as a query-only index, but it is not an index on its tables (read.sample_note_stats)',
    );
    expect(await snapshot()).toEqual(before);
    expect(await indexes()).toContainEqual(expect.objectContaining({ relname: 'sample_counters_pkey', valid: true }));
  });

  it('writes the async projections in a transaction of their own: a failure on either side changes nothing on both', async () => {
    await mixedHistory(8);
    await asyncCaughtUp();
    // Scribbled rows that a rebuild would mend: they stay as they are when it fails.
    await ctx.pg.query(`UPDATE read.sample_counters SET value = -1 WHERE id LIKE 's8-%'`);
    await ctx.pg.query(`UPDATE read.sample_note_stats SET notes = -1 WHERE counter_id LIKE 's8-%'`);
    const scribbled = await snapshot();
    const checkpoints = (await ctx.pg.query(`SELECT name, last_transaction_id::text, last_position FROM subscriptions ORDER BY name`)).rows;

    const rebuildWith = (sideProjection: Projection, inlineFails = false) => {
      const registry = new ProjectionRegistry();
      registry.registerInline(ctx.app.get(SampleCountersProjection));
      if (inlineFails) registry.registerInline(failing('inline-breaks', 'inline side broke'));
      registry.registerAsync(ctx.app.get(SampleNoteStatsProjection));
      registry.registerAsync(sideProjection);
      return new ProjectionRebuilder(ctx.app.get(DataSource), ctx.app.get(EventStore), registry, ctx.config).rebuild({ batchSize: 50, asyncLockTimeoutMs: 300 });
    };
    await expect(rebuildWith(failing('async-breaks', 'async side broke'))).rejects.toThrow('async side broke');
    expect(await snapshot()).toEqual(scribbled);
    await expect(rebuildWith(failing('async-fine', null), true)).rejects.toThrow('inline side broke');
    expect(await snapshot()).toEqual(scribbled);

    // An async projection that reads an inline table would wait for the rebuild's own lock for
    // ever; it fails the rebuild, named, once the lock timeout passes.
    const reader: Projection = {
      name: 'reads-inline',
      handles: [NoteAdded.type],
      tables: [],
      apply: async (_events, sql) => {
        await sql.query(`SELECT count(*) FROM read.sample_counters`);
      },
    };
    const t0 = Date.now();
    await expect(rebuildWith(reader)).rejects.toThrow(
      'async projection "reads-inline" waited for a lock during the rebuild: an async projection may read and write only its own tables ()',
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await snapshot()).toEqual(scribbled);
    expect((await ctx.pg.query(`SELECT name, last_transaction_id::text, last_position FROM subscriptions ORDER BY name`)).rows).toEqual(checkpoints);

    await ctx.app.get(ProjectionRebuilder).rebuild();
    const mended = await snapshot();
    expect(mended.counters.filter((c) => (c as { value: number }).value === -1)).toEqual([]);
    expect(mended.notes.filter((n) => (n as { notes: number }).notes === -1)).toEqual([]);
  });

  it('leaves the running async projection consistent: later events are counted once', async () => {
    await mixedHistory(2);
    await asyncCaughtUp();
    await ctx.app.get(ProjectionRebuilder).rebuild();
    await mixedHistory(3);
    await asyncCaughtUp();
    const live = await snapshot();
    await ctx.app.get(ProjectionRebuilder).rebuild();
    expect(await snapshot()).toEqual(live);
  });

  it('loses and doubles nothing when events are written during the rebuild', async () => {
    await mixedHistory(4);
    // Small batches keep the rebuild running while the writes happen; they wait for it or pass it.
    const [result] = await Promise.all([ctx.app.get(ProjectionRebuilder).rebuild({ batchSize: 8 }), mixedHistory(5)]);
    expect(result.events).toBeGreaterThan(0);
    await asyncCaughtUp();
    const live = await snapshot();
    expect(live.counters.filter((c) => (c as { id: string }).id.includes('s5-'))).toHaveLength(30);
    await ctx.app.get(ProjectionRebuilder).rebuild();
    expect(await snapshot()).toEqual(live);
  });

  it('runs as `npm run projections:rebuild` against the configured database, even with a pool of one connection', async () => {
    const run = runNode(builtEntry('scripts/projections-rebuild.js'), testEnvironment(ctx.config.database.url, 'rebuild-cli', { DATABASE_POOL_SIZE: '1' }));
    const { code } = await run.exited;
    expect(run.stderr()).toBe('');
    expect(code).toBe(0);
    const { rows } = await ctx.pg.query(`SELECT count(*)::int AS n FROM events`);
    expect(run.stdout()).toContain(`from ${rows[0].n} events`);
  });
});
