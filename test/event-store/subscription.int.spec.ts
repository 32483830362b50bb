import { Client } from 'pg';
import { START, Subscription, type Checkpoint, type StoredEvent } from '@latchkey/event-store';
import { CounterIncremented, CounterOpened, SAMPLE_EVENTS, startContext, type TestContext } from '@latchkey/testing';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await startContext('subscription', { events: SAMPLE_EVENTS });
});

afterAll(() => ctx.close());

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function storedCheckpoint(name: string): Promise<Checkpoint | undefined> {
  const { rows } = await ctx.pg.query(
    `SELECT last_transaction_id::text AS tx, last_position AS pos FROM subscriptions WHERE name = $1`,
    [name],
  );
  return rows[0] ? { transactionId: rows[0].tx, position: Number(rows[0].pos) } : undefined;
}

function collector() {
  const received: StoredEvent[] = [];
  return { received, handler: async (events: readonly StoredEvent[]) => void received.push(...events) };
}

const fast = { idleDelayMs: 20, standbyRetryMs: 50, errorDelayMs: 50 };

describe('subscriptions', () => {
  it('never skips a transaction that commits late, and never checkpoints past it', async () => {
    const name = 'late-commit';
    const { received, handler } = collector();
    const subscription = new Subscription(name, ctx.config.database.url, ctx.store, handler, fast);

    // Transaction A inserts an event and stays open.
    const a = new Client({ connectionString: ctx.config.database.url });
    await a.connect();
    await a.query('BEGIN');
    await a.query(
      `INSERT INTO events (id, stream_id, stream_type, version, type, data, metadata, occurred_at)
       VALUES (gen_random_uuid(), 'counter-a', 'counter', 1, $1, '{"name":"A"}', '{}', now())`,
      [CounterOpened.type],
    );
    // B and C insert and commit after A has its transaction id.
    await ctx.store.append('counter-b', 0, [new CounterOpened({ name: 'B' })]);
    await ctx.store.append('counter-c', 0, [new CounterOpened({ name: 'C' })]);

    subscription.start();
    await until(() => subscription.state === 'active');
    await new Promise((r) => setTimeout(r, 300)); // many polls while A is open
    expect(received).toEqual([]);
    expect(await storedCheckpoint(name)).toEqual(START);

    await a.query('COMMIT');
    await a.end();
    await until(() => received.length >= 3);
    await new Promise((r) => setTimeout(r, 100));
    await subscription.stop();

    expect(received.map((e) => e.streamId)).toEqual(['counter-a', 'counter-b', 'counter-c']);
    const order = received.map((e) => [BigInt(e.transactionId), e.globalPosition] as const);
    for (let i = 1; i < order.length; i++) {
      expect(order[i][0] > order[i - 1][0] || (order[i][0] === order[i - 1][0] && order[i][1] > order[i - 1][1])).toBe(true);
    }
    const last = received[2];
    expect(await storedCheckpoint(name)).toEqual({ transactionId: last.transactionId, position: last.globalPosition });
  });

  it('is not held back by a transaction open in another database of the same server, only by one in its own', async () => {
    const name = 'other-database';
    const { received, handler } = collector();
    const subscription = new Subscription(name, ctx.config.database.url, ctx.store, handler, fast);
    // Only this test's streams (the subscription reads the earlier tests' events too).
    const streams = () => received.map((e) => e.streamId).filter((id) => id.startsWith('counter-od'));
    const elsewhere = new URL(ctx.config.database.url);
    elsewhere.pathname = '/postgres';
    // Another application's long transaction on the same server, begun before our events.
    const other = new Client({ connectionString: elsewhere.toString() });
    await other.connect();
    await other.query('BEGIN');
    await other.query('SELECT pg_current_xact_id()');
    try {
      await ctx.store.append('counter-od1', 0, [new CounterOpened({ name: 'OD1' })]);
      subscription.start();
      await until(() => streams().includes('counter-od1'));

      // One in this database still holds back what commits after it (it might write events).
      const here = new Client({ connectionString: ctx.config.database.url });
      await here.connect();
      await here.query('BEGIN');
      await here.query('SELECT pg_current_xact_id()');
      await ctx.store.append('counter-od2', 0, [new CounterOpened({ name: 'OD2' })]);
      await new Promise((r) => setTimeout(r, 300)); // many polls
      expect(streams()).not.toContain('counter-od2');
      await here.query('COMMIT');
      await here.end();
      await until(() => streams().includes('counter-od2'));
      expect(streams()).toEqual(['counter-od1', 'counter-od2']);
    } finally {
      await subscription.stop();
      await other.query('COMMIT');
      await other.end();
    }
  });

  it('resumes from its checkpoint after a restart without handing anything over twice', async () => {
    const name = 'resume';
    for (let i = 0; i < 5; i++) await ctx.store.append(`counter-resume-${i}`, 0, [new CounterOpened({ name: `r${i}` })]);
    const first = collector();
    const one = new Subscription(name, ctx.config.database.url, ctx.store, first.handler, { ...fast, batchSize: 2 });
    one.start();
    // Wait for the events themselves: "nothing more to read" can also mean a transaction elsewhere
    // in the cluster (another spec's database) holds the snapshot horizon back for a moment.
    await until(() => first.received.some((e) => e.streamId === 'counter-resume-4'));
    await one.stop();

    for (let i = 5; i < 8; i++) await ctx.store.append(`counter-resume-${i}`, 0, [new CounterOpened({ name: `r${i}` })]);
    const second = collector();
    const two = new Subscription(name, ctx.config.database.url, ctx.store, second.handler, fast);
    two.start();
    await until(() => second.received.some((e) => e.streamId === 'counter-resume-7'));
    await two.stop();

    const all = [...first.received, ...second.received].map((e) => e.id);
    expect(new Set(all).size).toBe(all.length);
    expect(second.received.map((e) => e.streamId)).toEqual(['counter-resume-5', 'counter-resume-6', 'counter-resume-7']);
  });

  it('keeps one active subscriber per name across connections; a standby takes over when it stops', async () => {
    const name = 'single-active';
    const first = collector();
    const second = collector();
    const one = new Subscription(name, ctx.config.database.url, ctx.store, first.handler, fast);
    const two = new Subscription(name, ctx.config.database.url, ctx.store, second.handler, fast);
    one.start();
    await until(() => one.state === 'active');
    two.start();
    await until(() => two.state === 'standby');

    await ctx.store.append('counter-single-1', 0, [new CounterOpened({ name: 's1' })]);
    await until(() => first.received.some((e) => e.streamId === 'counter-single-1'));
    expect(two.state).toBe('standby');

    await one.stop();
    await until(() => two.state === 'active');
    await ctx.store.append('counter-single-1', 1, [new CounterIncremented({ by: 1 })]);
    await until(() => second.received.some((e) => e.type === CounterIncremented.type && e.streamId === 'counter-single-1'));
    await two.stop();

    const ids = [...first.received, ...second.received].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(second.received.some((e) => e.streamId === 'counter-single-1' && e.type === CounterOpened.type)).toBe(false);
  });

  it('retries a failing batch without moving its checkpoint, then continues', async () => {
    const name = 'flaky-handler';
    await ctx.store.append('counter-flaky', 0, [new CounterOpened({ name: 'flaky' })]);
    let failures = 0;
    const received: StoredEvent[] = [];
    const subscription = new Subscription(
      name,
      ctx.config.database.url,
      ctx.store,
      async (events) => {
        if (events.some((e) => e.streamId === 'counter-flaky') && failures < 2) {
          failures++;
          throw new Error('projection target unavailable');
        }
        received.push(...events);
      },
      fast,
    );
    subscription.start();
    await until(() => received.some((e) => e.streamId === 'counter-flaky'));
    await subscription.stop();
    expect(failures).toBe(2);
    expect(received.filter((e) => e.streamId === 'counter-flaky')).toHaveLength(1);
  });

  it('voids a batch whose checkpoint another process moved meanwhile (a rebuild): its writes are undone, and it goes on from there', async () => {
    const name = 'moved-under-it';
    await ctx.pg.query(`CREATE TABLE IF NOT EXISTS moved_under_it (stream_id text)`);
    await ctx.store.append('counter-moved-1', 0, [new CounterOpened({ name: 'moved 1' })]);
    const [last] = (await ctx.pg.query(`SELECT transaction_id::text AS tx, global_position AS pos FROM events ORDER BY global_position DESC LIMIT 1`)).rows;
    let moved = false;
    const subscription = new Subscription(
      name,
      ctx.config.database.url,
      ctx.store,
      async (events, tx) => {
        await tx.query(`INSERT INTO moved_under_it SELECT unnest($1::text[])`, [events.map((e) => e.streamId)]);
        if (!moved) {
          // Another process (a rebuild) takes the checkpoint past everything so far.
          moved = true;
          await ctx.pg.query(`UPDATE subscriptions SET last_transaction_id = $2::xid8, last_position = $3 WHERE name = $1`, [name, last.tx, last.pos]);
        }
      },
      fast,
    );
    subscription.start();
    await until(() => moved);
    await ctx.store.append('counter-moved-2', 0, [new CounterOpened({ name: 'moved 2' })]);
    await until(async () => (await ctx.pg.query(`SELECT 1 FROM moved_under_it WHERE stream_id = 'counter-moved-2'`)).rows.length > 0);
    await subscription.stop();
    const { rows } = await ctx.pg.query(`SELECT stream_id FROM moved_under_it ORDER BY stream_id`);
    expect(rows.map((r) => r.stream_id)).toEqual(['counter-moved-2']);
    const [newest] = (await ctx.pg.query(`SELECT transaction_id::text AS tx, global_position AS pos FROM events ORDER BY global_position DESC LIMIT 1`)).rows;
    expect(await storedCheckpoint(name)).toEqual({ transactionId: newest.tx, position: Number(newest.pos) });
  });

  it('finishes the batch in hand when stopped, records it, and hands the name over', async () => {
    const name = 'graceful';
    await ctx.store.append('counter-graceful', 0, [new CounterOpened({ name: 'graceful' })]);
    let started = false;
    const received: StoredEvent[] = [];
    const subscription = new Subscription(
      name,
      ctx.config.database.url,
      ctx.store,
      async (events) => {
        started = true;
        await new Promise((r) => setTimeout(r, 300));
        received.push(...events);
      },
      fast,
    );
    subscription.start();
    await until(() => started);
    const stopping = subscription.stop();
    expect(received).toEqual([]);
    await stopping;
    expect(received.length).toBeGreaterThan(0);
    const last = received[received.length - 1];
    expect(await storedCheckpoint(name)).toEqual({ transactionId: last.transactionId, position: last.globalPosition });

    const next = new Subscription(name, ctx.config.database.url, ctx.store, async () => undefined, fast);
    next.start();
    await until(() => next.state === 'active', 2000);
    await next.stop();
  });

  it('orders by transaction id as a number, also where ids gain a digit (99999 < 100000)', async () => {
    const { rows } = await ctx.pg.query(`SELECT pg_current_xact_id()::text AS xid`);
    const boundary = 10n ** BigInt(rows[0].xid.length - 1); // a power of ten that is already in the past
    for (const [tx, name] of [
      [boundary, 'digits-b1'],
      [boundary - 1n, 'digits-a1'],
      [boundary, 'digits-b2'],
      [boundary - 1n, 'digits-a2'],
    ] as const) {
      await ctx.pg.query(
        `INSERT INTO events (transaction_id, id, stream_id, stream_type, version, type, data, metadata, occurred_at)
         VALUES ($1::xid8, gen_random_uuid(), $2, 'counter', 1, $3, $4, '{}', now())`,
        [tx.toString(), `counter-${name}`, CounterOpened.type, JSON.stringify({ name })],
      );
    }
    const seen: string[] = [];
    let after: Checkpoint = { transactionId: (boundary - 2n).toString(), position: 0 };
    for (;;) {
      const batch = await ctx.store.readAll(after, 1);
      if (batch.length === 0 || BigInt(batch[0].transactionId) > boundary) break;
      seen.push(batch[0].streamId);
      after = { transactionId: batch[0].transactionId, position: batch[0].globalPosition };
    }
    expect(seen).toEqual(['counter-digits-a1', 'counter-digits-a2', 'counter-digits-b1', 'counter-digits-b2']);
  });
});
