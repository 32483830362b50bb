import { Batcher } from './batcher';

/** Work whose runs the test finishes by hand, recording what each run was given. */
function controlledWork() {
  const runs: { items: string[]; finish(outcomes?: (string | Error)[]): void; fail(error: Error): void }[] = [];
  const work = (items: readonly string[]) =>
    new Promise<readonly (string | Error)[]>((resolve, reject) => {
      runs.push({
        items: [...items],
        finish: (outcomes) => resolve(outcomes ?? items.map((i) => i.toUpperCase())),
        fail: reject,
      });
    });
  return { runs, work };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('Batcher', () => {
  it('sends an item at once when idle, and what comes meanwhile together in the next run', async () => {
    const { runs, work } = controlledWork();
    const batcher = new Batcher(work, 10);
    const first = batcher.submit('a');
    await turn();
    expect(runs.map((r) => r.items)).toEqual([['a']]);

    const later = ['b', 'c', 'd'].map((item) => batcher.submit(item));
    await turn();
    expect(runs).toHaveLength(1); // they wait for the run in flight
    runs[0].finish();
    expect(await first).toBe('A');
    await turn();
    expect(runs.map((r) => r.items)).toEqual([['a'], ['b', 'c', 'd']]);
    runs[1].finish();
    expect(await Promise.all(later)).toEqual(['B', 'C', 'D']);
  });

  it('takes at most maxItems per run, and runs up to `lanes` at once', async () => {
    const { runs, work } = controlledWork();
    const batcher = new Batcher(work, 2, 2);
    const all = ['a', 'b', 'c', 'd', 'e'].map((item) => batcher.submit(item));
    await turn();
    expect(runs.map((r) => r.items)).toEqual([['a', 'b'], ['c', 'd']]);
    runs[1].finish();
    await turn();
    expect(runs.map((r) => r.items)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    runs[0].finish();
    runs[2].finish();
    expect(await Promise.all(all)).toEqual(['A', 'B', 'C', 'D', 'E']);
  });

  it("keeps an item's failure with that item, and fails only the items of a run that throws", async () => {
    const { runs, work } = controlledWork();
    const batcher = new Batcher(work, 10);
    const [a, b] = [batcher.submit('a'), batcher.submit('b')];
    await turn();
    runs[0].finish(['A', new Error('b refused')]);
    expect(await a).toBe('A');
    await expect(b).rejects.toThrow('b refused');

    const c = batcher.submit('c');
    await turn();
    runs[1].fail(new Error('connection lost'));
    await expect(c).rejects.toThrow('connection lost');

    const d = batcher.submit('d');
    await turn();
    runs[2].finish();
    expect(await d).toBe('D');
  });

  it('refuses an answer that does not match the items one for one', async () => {
    const batcher = new Batcher<string, string>(async () => [], 10);
    await expect(batcher.submit('a')).rejects.toThrow('batch work answered 0 outcomes for 1 items');
  });
});
