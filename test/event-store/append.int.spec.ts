import { Injectable, Module } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import {
  AggregateRepository,
  ConcurrencyError,
  InvalidEventPayloadError,
  MetadataContext,
  UniqueClaimTakenError,
  poolOf,
  type Projection,
  type Sql,
  type StoredEvent,
} from '@latchkey/event-store';
import {
  Counter,
  CounterIncremented,
  CounterOpened,
  NoteAdded,
  SAMPLE_EVENTS,
  SAMPLE_TABLES_SQL,
  SampleCountersProjection,
  startContext,
  type TestContext,
} from '@latchkey/testing';

const seen: { type: string; committedRows: number }[] = [];
let ctx: TestContext;

/** Records what the EventBus delivers and whether the row is already committed at that moment. */
@EventsHandler(CounterIncremented)
class IncrementWatcher implements IEventHandler<CounterIncremented> {
  async handle(event: CounterIncremented): Promise<void> {
    const { rows } = await ctx.pg.query(`SELECT 1 FROM events WHERE id = $1`, [event.stored!.id]);
    seen.push({ type: event.type, committedRows: rows.length });
  }
}

/**
 * Inline, on notes: a statement PostgreSQL cannot prepare without its values (`$3 IS NOT NULL`
 * gives the parameter no type), in two texts so that both the first use inside a locked
 * command and the first use outside one meet it.
 */
@Injectable()
class UntypedNotesProjection implements Projection {
  readonly name = 'sample-untyped-notes';
  readonly handles = [NoteAdded.type];
  readonly tables = ['read.sample_untyped_notes'];

  async apply(events: readonly StoredEvent[], sql: Sql): Promise<void> {
    for (const event of events as StoredEvent<{ text: string }>[]) {
      const extra = event.data.text.startsWith('outside') ? ' AND true' : '';
      await sql.query(`INSERT INTO read.sample_untyped_notes (stream_id, text) SELECT $1, $2 WHERE $3 IS NOT NULL${extra}`, [event.streamId, event.data.text, 'x']);
    }
  }
}

@Module({ providers: [IncrementWatcher] })
class WatcherModule {}

beforeAll(async () => {
  ctx = await startContext(
    'append',
    { events: SAMPLE_EVENTS, inlineProjections: [SampleCountersProjection, UntypedNotesProjection] },
    {
      setupSql: `${SAMPLE_TABLES_SQL}; CREATE TABLE read.sample_untyped_notes (stream_id text NOT NULL, text text NOT NULL)`,
      imports: [WatcherModule],
    },
  );
});

afterAll(() => ctx.close());

describe('append', () => {
  it('lets exactly one of two writers at the same expected version commit', async () => {
    await ctx.store.append('counter-race', 0, [new CounterOpened({ name: 'race' })]);
    const results = await Promise.allSettled([
      ctx.store.append('counter-race', 1, [new CounterIncremented({ by: 1 })]),
      ctx.store.append('counter-race', 1, [new CounterIncremented({ by: 10 })]),
    ]);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0].reason).toBeInstanceOf(ConcurrencyError);
    const stream = await ctx.store.readStream('counter-race');
    expect(stream.map((e) => e.version)).toEqual([1, 2]);
    // The read model saw only the winner.
    const { rows } = await ctx.pg.query(`SELECT value FROM read.sample_counters WHERE id = 'counter-race'`);
    expect([1, 10]).toContain(rows[0].value);
  });

  it('refuses a stale expected version even when no one is writing right now', async () => {
    await ctx.store.append('counter-stale', 0, [new CounterOpened({ name: 'stale' }), new CounterIncremented({ by: 1 })]);
    await expect(ctx.store.append('counter-stale', 1, [new CounterIncremented({ by: 1 })])).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(ctx.store.append('counter-stale', 5, [new CounterIncremented({ by: 1 })])).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(ctx.store.append('counter-stale', 0, [new CounterOpened({ name: 'again' })])).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await ctx.store.readStream('counter-stale')).map((e) => e.type)).toEqual([CounterOpened.type, CounterIncremented.type]);
  });

  it('retries a command through the repository, deciding again on fresh state', async () => {
    const repository = ctx.app.get(AggregateRepository);
    const counter = new Counter('retry');
    counter.open('retry');
    await repository.save(counter);

    // Five concurrent "add 1" commands (as many as the attempts allowed, so each can lose to
    // every other once): every one must land exactly once despite the races.
    // All five decide on the same loaded state first, so four of them must lose and retry.
    const decisions: number[] = [];
    let release!: () => void;
    const allLoaded = new Promise<void>((resolve) => (release = resolve));
    await Promise.all(
      Array.from({ length: 5 }, () =>
        repository.update(Counter, 'retry', async (c) => {
          decisions.push(c.version);
          if (decisions.length === 5) release();
          if (decisions.length <= 5) await allLoaded;
          c.increment(1);
        }),
      ),
    );
    expect(decisions.slice(0, 5)).toEqual([1, 1, 1, 1, 1]);
    expect(decisions.length).toBeGreaterThanOrEqual(9);
    const loaded = await repository.load(Counter, 'retry');
    expect(loaded.value).toBe(5);
    expect(loaded.version).toBe(6);
    const { rows } = await ctx.pg.query(`SELECT value, version FROM read.sample_counters WHERE id = 'counter-retry'`);
    expect(rows[0]).toEqual({ value: 5, version: 6 });
  });

  it('gives up after a bounded number of attempts and reports the conflict', async () => {
    const repository = ctx.app.get(AggregateRepository);
    const counter = new Counter('always-loses');
    counter.open('always-loses');
    await repository.save(counter);
    let attempts = 0;
    await expect(
      repository.update(Counter, 'always-loses', async (c) => {
        attempts++;
        // Someone else always appends between our load and our save.
        await ctx.store.append('counter-always-loses', 'any', [new CounterIncremented({ by: 1 })]);
        c.increment(1);
      }),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    expect(attempts).toBe(5);
  });

  it('writes nothing when a unique claim of the same change is taken', async () => {
    const repository = ctx.app.get(AggregateRepository);
    const first = new Counter('claim-a');
    first.open('Shared-Name');
    await repository.save(first);
    const second = new Counter('claim-b');
    second.open('shared-name');
    await expect(repository.save(second)).rejects.toBeInstanceOf(UniqueClaimTakenError);
    expect(await ctx.store.readStream('counter-claim-b')).toEqual([]);
    const { rows } = await ctx.pg.query(`SELECT count(*)::int AS n FROM read.sample_counters WHERE id = 'counter-claim-b'`);
    expect(rows[0].n).toBe(0);
  });

  it('appends to several streams atomically: one stale stream voids the whole write', async () => {
    await ctx.store.append('counter-multi-a', 0, [new CounterOpened({ name: 'multi-a' })]);
    await expect(
      ctx.store.appendMany([
        { streamId: 'counter-multi-b', expectedVersion: 0, events: [new CounterOpened({ name: 'multi-b' })] },
        { streamId: 'counter-multi-a', expectedVersion: 0, events: [new CounterIncremented({ by: 1 })] },
      ]),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await ctx.store.readStream('counter-multi-b')).toEqual([]);
  });

  it('carries any text unchanged through the events, their read model and their claims (one message, values as literals)', async () => {
    const repository = ctx.app.get(AggregateRepository);
    const hostile = `it's "quoted" \\ back\\slash $1 $2 {a,b} NULL '); DROP TABLE events; -- ✓ 日本 \n tab\t`;
    const counter = new Counter('hostile');
    counter.open(hostile);
    await repository.save(counter);
    const [opened] = await ctx.store.readStream('counter-hostile');
    expect(opened.data).toEqual({ name: hostile });
    const { rows } = await ctx.pg.query(`SELECT name FROM read.sample_counters WHERE id = 'counter-hostile'`);
    expect(rows[0].name).toBe(hostile);
    const claims = await ctx.pg.query(`SELECT owner FROM unique_claims WHERE scope = 'sample.counter_name' AND value = $1`, [hostile.toLowerCase()]);
    expect(claims.rows).toEqual([{ owner: 'counter-hostile' }]);
    // The same value claimed again is refused, and the events table is still there.
    const twin = new Counter('hostile-twin');
    twin.open(hostile.toUpperCase());
    await expect(repository.save(twin)).rejects.toBeInstanceOf(UniqueClaimTakenError);
    expect(await ctx.store.readStream('counter-hostile-twin')).toEqual([]);
  });

  it('rejects a payload that does not match its schema, writing nothing', async () => {
    await expect(
      ctx.store.append('counter-bad', 0, [new CounterIncremented({ by: 1.5 } as { by: number })]),
    ).rejects.toBeInstanceOf(InvalidEventPayloadError);
    expect(await ctx.store.readStream('counter-bad')).toEqual([]);
  });

  it('upcasts old payload shapes when reading', async () => {
    await ctx.pg.query(
      `INSERT INTO events (id, stream_id, stream_type, version, type, schema_version, data, metadata, occurred_at)
       VALUES (gen_random_uuid(), 'counter-old', 'counter', 1, $1, 1, '{"text":"from v1"}', '{}', now())`,
      [NoteAdded.type],
    );
    const [event] = await ctx.store.readStream('counter-old');
    expect(event.schemaVersion).toBe(2);
    expect(event.data).toEqual({ text: 'from v1', tags: [] });
  });

  it('reads back the time an event was stored at, to the millisecond, microseconds cut', async () => {
    const stored = await ctx.store.append('counter-time', 0, [new CounterOpened({ name: 'time' })]);
    await ctx.pg.query(
      `INSERT INTO events (id, stream_id, stream_type, version, type, schema_version, data, metadata, occurred_at)
       VALUES (gen_random_uuid(), 'counter-time', 'counter', 2, $1, 1, '{"by":1}', '{}', '2026-11-26T23:59:59.999999Z'),
              (gen_random_uuid(), 'counter-time', 'counter', 3, $1, 1, '{"by":1}', '{}', '1999-12-31T23:59:59.001Z')`,
      [CounterIncremented.type],
    );
    const events = await ctx.store.readStream('counter-time');
    expect(events.map((e) => e.occurredAt.toISOString())).toEqual([
      stored[0].occurredAt.toISOString(),
      '2026-11-26T23:59:59.999Z',
      '1999-12-31T23:59:59.001Z',
    ]);
  });

  it("commits a locked command's events with its last write, and writes nothing when that write fails", async () => {
    const repository = ctx.app.get(AggregateRepository);
    const idleInTransaction = async () =>
      Number(
        (await ctx.pg.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`)).rows[0].n,
      );
    await repository.exclusive('counter-locked', async (uow) => {
      const counter = new Counter('locked');
      counter.open('locked');
      uow.add(counter);
    });
    expect((await ctx.store.readStream('counter-locked')).map((e) => e.type)).toEqual([CounterOpened.type]);
    expect(await idleInTransaction()).toBe(0);

    // Opening the same counter again collides with the stored stream: the whole message fails.
    await expect(
      repository.exclusive('counter-locked', async (uow) => {
        const again = new Counter('locked');
        again.open('again');
        again.increment(5);
        uow.add(again);
      }),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await ctx.store.readStream('counter-locked')).map((e) => e.type)).toEqual([CounterOpened.type]);
    expect(await idleInTransaction()).toBe(0);
    // The pool's connections are usable: the next locked command goes through.
    await repository.exclusive('counter-locked', async (uow) => {
      const counter = await uow.load(Counter, 'locked');
      counter.increment(2);
    });
    expect((await ctx.store.readStream('counter-locked')).map((e) => e.type)).toEqual([CounterOpened.type, CounterIncremented.type]);
  });

  it('reads a locked stream as the previous holder of the lock left it, and again after writing to it', async () => {
    await ctx.store.append('counter-reread', 0, [new CounterOpened({ name: 'reread' })]);
    const bump = () =>
      ctx.store.exclusive(['counter-reread'], async (session) => {
        const before = await session.readStream('counter-reread');
        await session.appendMany([{ streamId: 'counter-reread', expectedVersion: before.length, events: [new CounterIncremented({ by: 1 })] }]);
        const after = await session.readStream('counter-reread');
        return { before: before.length, after: after.map((e) => e.version) };
      });
    // Started together, they run one after the other, each on what the one before it committed.
    const results = await Promise.all([bump(), bump(), bump()]);
    expect(results.map((r) => r.before).sort()).toEqual([1, 2, 3]);
    for (const r of results) expect(r.after).toEqual(Array.from({ length: r.before + 1 }, (_, i) => i + 1));
    expect((await ctx.store.readStream('counter-reread')).map((e) => e.version)).toEqual([1, 2, 3, 4]);

    // Written to before its first read: the read shows the write.
    const seen = await ctx.store.exclusive(['counter-reread'], async (session) => {
      await session.appendMany([{ streamId: 'counter-reread', expectedVersion: 4, events: [new CounterIncremented({ by: 1 })] }]);
      return (await session.readStream('counter-reread')).map((e) => e.version);
    });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it('runs the writes as statements prepared per connection, and one that cannot be prepared still writes, inside a locked command and outside', async () => {
    const sent = jest.spyOn(Client.prototype, 'query');
    let texts: string[];
    try {
      await ctx.store.append('counter-prepared', 0, [new CounterOpened({ name: 'prepared' })]);
      for (let version = 1; version <= 20; version++) await ctx.store.append('counter-prepared', version, [new CounterIncremented({ by: 1 })]);
      texts = sent.mock.calls.map(([query]) => (typeof query === 'string' ? query : ''));
    } finally {
      sent.mockRestore();
    }
    // The counter's UPDATE was prepared at most once per pooled connection (earlier tests may have
    // done it already), not on each of the 20 appends ...
    const prepares = texts.filter((t) => t.startsWith('PREPARE latchkey_write_') && t.includes('UPDATE read.sample_counters')).length;
    expect(prepares).toBeLessThanOrEqual(poolOf(ctx.app.get(DataSource)).totalCount);
    expect(poolOf(ctx.app.get(DataSource)).totalCount).toBeLessThan(20);
    // ... and each append ran it by name with its values.
    expect(texts.filter((t) => /^EXECUTE latchkey_write_\w+\('counter-prepared'/.test(t))).toHaveLength(21);
    expect((await ctx.pg.query(`SELECT value, version FROM read.sample_counters WHERE id = 'counter-prepared'`)).rows).toEqual([{ value: 20, version: 21 }]);

    // Inside a locked command the failed PREPARE is undone to its savepoint: the counter written
    // before it in the same transaction is kept, and the note is written with its values as literals.
    await ctx.store.exclusive(['counter-untyped'], async (session) => {
      await session.appendMany([{ streamId: 'counter-untyped', expectedVersion: 0, events: [new CounterOpened({ name: 'untyped' })] }]);
      await session.appendAndCommit([{ streamId: 'counter-untyped', expectedVersion: 1, events: [new NoteAdded({ text: 'inside', tags: [] })] }]);
    });
    await ctx.store.append('counter-untyped', 2, [new NoteAdded({ text: 'outside', tags: [] }), new CounterIncremented({ by: 3 })]);
    // And again, now that both texts are known not to prepare.
    await ctx.store.append('counter-untyped', 4, [new NoteAdded({ text: 'outside again', tags: [] })]);

    expect((await ctx.store.readStream('counter-untyped')).map((e) => e.type)).toEqual([
      CounterOpened.type,
      NoteAdded.type,
      NoteAdded.type,
      CounterIncremented.type,
      NoteAdded.type,
    ]);
    const { rows: notes } = await ctx.pg.query(`SELECT text FROM read.sample_untyped_notes WHERE stream_id = 'counter-untyped' ORDER BY text`);
    expect(notes.map((n) => n.text)).toEqual(['inside', 'outside', 'outside again']);
    const { rows: counters } = await ctx.pg.query(`SELECT id, value, version FROM read.sample_counters WHERE id IN ('counter-untyped', 'counter-prepared') ORDER BY id`);
    expect(counters).toEqual([
      { id: 'counter-prepared', value: 20, version: 21 },
      { id: 'counter-untyped', value: 3, version: 4 },
    ]);
  });

  it('refuses to change or delete a stored event', async () => {
    await ctx.store.append('counter-immutable', 0, [new CounterOpened({ name: 'immutable' })]);
    await expect(ctx.pg.query(`UPDATE events SET data = '{}' WHERE stream_id = 'counter-immutable'`)).rejects.toThrow(/append-only/);
    await expect(ctx.pg.query(`DELETE FROM events WHERE stream_id = 'counter-immutable'`)).rejects.toThrow(/append-only/);
  });

  it('fills metadata from the current context and publishes on the EventBus only after commit', async () => {
    seen.length = 0;
    const context = ctx.app.get(MetadataContext);
    await context.run(
      { correlationId: 'corr-1', actor: { type: 'admin', id: 'admin-7' }, ip: '203.0.113.9', userAgent: 'test-agent' },
      async () => {
        await ctx.store.append('counter-meta', 0, [new CounterOpened({ name: 'meta' }), new CounterIncremented({ by: 2 })]);
      },
    );
    const [opened] = await ctx.store.readStream('counter-meta');
    expect(opened.metadata).toEqual({
      correlationId: 'corr-1',
      causationId: 'corr-1',
      actor: { type: 'admin', id: 'admin-7' },
      ip: '203.0.113.9',
      userAgent: 'test-agent',
    });
    // Decoded on first access, and still part of the event when it is written out as JSON.
    expect(JSON.parse(JSON.stringify(opened)).metadata).toEqual(opened.metadata);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([{ type: CounterIncremented.type, committedRows: 1 }]);

    // A failed append publishes nothing.
    seen.length = 0;
    await expect(ctx.store.append('counter-meta', 0, [new CounterIncremented({ by: 1 })])).rejects.toBeInstanceOf(ConcurrencyError);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([]);
  });
});
