import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { inTransaction } from './database/transaction';
import { START, EventStore, checkpointOf, type Checkpoint } from './event-store';
import { ProjectionRegistry } from './projection';

export interface RebuildResult {
  events: number;
  projections: string[];
  durationMs: number;
}

export function asyncSubscriptionName(projectionName: string): string {
  return `projection:${projectionName}`;
}

/**
 * Truncates every read model and replays all events into them, in one transaction: readers
 * see the old rows until the new ones commit, and appends that touch a read model wait
 * for the rebuild (their inline projection then applies on the rebuilt tables).
 */
@Injectable()
export class ProjectionRebuilder {
  private readonly logger = new Logger(ProjectionRebuilder.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly projections: ProjectionRegistry,
  ) {}

  async rebuild(batchSize = 5000): Promise<RebuildResult> {
    const started = process.hrtime.bigint();
    const inline = this.projections.inline();
    const asyncs = this.projections.async();
    const tables = [...inline, ...asyncs].flatMap((p) => p.tables);

    const events = await inTransaction(this.dataSource, async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('latchkey.rebuild', 0))`);
      if (tables.length > 0) await tx.query(`TRUNCATE ${tables.join(', ')}`);
      // Events of transactions older than this bound are all settled; async projections take
      // those, and their subscriptions carry on from there. Inline ones take all they see.
      const [{ bound }] = await tx.query<{ bound: string }>(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS bound`);
      let after: Checkpoint = START;
      let asyncCheckpoint: Checkpoint = START;
      let count = 0;
      for (;;) {
        const batch = await tx.query<Parameters<EventStore['toStored']>[0]>(
          `SELECT global_position, transaction_id::text AS transaction_id, id, stream_id, stream_type, version, type,
                  schema_version, data, metadata, occurred_at
             FROM events
            WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
            ORDER BY events.transaction_id, events.global_position
            LIMIT $3`,
          [after.transactionId, after.position, batchSize],
        );
        if (batch.length === 0) break;
        const stored = batch.map((row) => this.store.toStored(row));
        await ProjectionRegistry.applyAll(inline, stored, tx);
        const settled = stored.filter((e) => BigInt(e.transactionId) < BigInt(bound));
        if (settled.length > 0) {
          await ProjectionRegistry.applyAll(asyncs, settled, tx);
          asyncCheckpoint = checkpointOf(settled[settled.length - 1]);
        }
        after = checkpointOf(stored[stored.length - 1]);
        count += stored.length;
      }
      for (const projection of asyncs) {
        await tx.query(
          `INSERT INTO subscriptions (name, last_transaction_id, last_position) VALUES ($1, $2::xid8, $3)
           ON CONFLICT (name) DO UPDATE SET last_transaction_id = EXCLUDED.last_transaction_id,
                                            last_position = EXCLUDED.last_position, updated_at = now()`,
          [asyncSubscriptionName(projection.name), asyncCheckpoint.transactionId, asyncCheckpoint.position],
        );
      }
      return count;
    });

    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    const names = [...inline, ...asyncs].map((p) => p.name);
    this.logger.log(`rebuilt ${names.length} projections from ${events} events in ${durationMs.toFixed(0)} ms`);
    return { events, projections: names, durationMs };
  }
}
