interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

/**
 * Group commit for work that costs a round trip per call (a read, an append, a provider request):
 * an item submitted while the work is running waits for that run and goes with every other item
 * that came meanwhile, up to `maxItems` at a time; an item submitted when the work is idle goes at
 * once, with whatever was submitted in the same turn of the event loop. Idle, no item waits; under
 * load, concurrent jobs share one round trip. `lanes` runs of the work may be in flight at once.
 *
 * The work answers, in the items' order, each item's result or its own Error (which fails that
 * item only); a run that throws fails every item in it.
 */
export class Batcher<I, O> {
  private readonly waiting: Waiting<I, O>[] = [];
  private running = 0;

  constructor(
    private readonly work: (items: readonly I[]) => Promise<readonly (O | Error)[]>,
    private readonly maxItems: number,
    private readonly lanes = 1,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.running < this.lanes) {
        this.running++;
        // After the current turn's other submissions.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting.splice(0, this.maxItems);
        let outcomes: readonly (O | Error)[];
        try {
          outcomes = await this.work(group.map((w) => w.item));
          if (outcomes.length !== group.length) throw new Error(`batch work answered ${outcomes.length} outcomes for ${group.length} items`);
        } catch (error) {
          for (const w of group) w.reject(error);
          continue;
        }
        group.forEach((w, i) => {
          const outcome = outcomes[i];
          if (outcome instanceof Error) w.reject(outcome);
          else w.resolve(outcome);
        });
      }
    } finally {
      this.running--;
    }
  }
}
