import { UniqueClaimTakenError } from '@latchkey/event-store';
import { CounterIncremented, CounterOpened, SAMPLE_EVENTS, startContext, type TestContext } from '@latchkey/testing';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await startContext('claims', { events: SAMPLE_EVENTS });
});

afterAll(() => ctx.close());

describe('unique claims', () => {
  it('gives a value to exactly one of 20 concurrent claimers, and their events with it', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        ctx.store.append(`counter-claimer-${i}`, 0, [new CounterOpened({ name: 'popular' })], {
          claims: [{ scope: 'sample.counter_name', value: 'popular' }],
        }),
      ),
    );
    const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(UniqueClaimTakenError);
    expect(await ctx.store.claimOwner('sample.counter_name', 'popular')).toBe(`counter-claimer-${winners[0]}`);
    const { rows } = await ctx.pg.query(`SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE 'counter-claimer-%'`);
    expect(rows).toEqual([{ stream_id: `counter-claimer-${winners[0]}` }]);
  });

  it('lets a released value be taken again, in the same transaction as the events that release it', async () => {
    await ctx.store.append('counter-old-owner', 0, [new CounterOpened({ name: 'movable' })], {
      claims: [{ scope: 'sample.counter_name', value: 'movable' }],
    });
    await expect(
      ctx.store.append('counter-new-owner', 0, [new CounterOpened({ name: 'movable' })], {
        claims: [{ scope: 'sample.counter_name', value: 'movable' }],
      }),
    ).rejects.toBeInstanceOf(UniqueClaimTakenError);

    // Releasing needs the owner: someone else's release changes nothing.
    await ctx.store.append('counter-new-owner', 0, [new CounterOpened({ name: 'other' })], {
      releases: [{ scope: 'sample.counter_name', value: 'movable' }],
    });
    expect(await ctx.store.claimOwner('sample.counter_name', 'movable')).toBe('counter-old-owner');

    await ctx.store.append('counter-old-owner', 1, [new CounterIncremented({ by: 1 })], {
      releases: [{ scope: 'sample.counter_name', value: 'movable' }],
    });
    expect(await ctx.store.claimOwner('sample.counter_name', 'movable')).toBeNull();
    await ctx.store.append('counter-new-owner', 1, [new CounterIncremented({ by: 1 })], {
      claims: [{ scope: 'sample.counter_name', value: 'movable' }],
    });
    expect(await ctx.store.claimOwner('sample.counter_name', 'movable')).toBe('counter-new-owner');
  });

  it('lets the owner claim its own value again without error', async () => {
    const claim = { scope: 'sample.counter_name', value: 'mine' };
    await ctx.store.append('counter-mine', 0, [new CounterOpened({ name: 'mine' })], { claims: [claim] });
    await ctx.store.append('counter-mine', 1, [new CounterIncremented({ by: 1 })], { claims: [claim] });
    expect(await ctx.store.claimOwner('sample.counter_name', 'mine')).toBe('counter-mine');
  });
});
