import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@latchkey/config';
import { DataSource } from 'typeorm';
import { ClientSql, dedicatedConnection, inTransaction, pgError } from './database/transaction';
import type { StoredEvent } from './event';
import { COLUMNS, START, EventStore, checkpointOf, type Checkpoint } from './event-store';
import { ProjectionRegistry, type Projection } from './projection';

/** PostgreSQL's `lock_not_available`, which `lock_timeout` raises. */
const LOCK_NOT_AVAILABLE = '55P03';

export interface RebuildResult {
  events: number;
  projections: string[];
  durationMs: number;
}

/** Events per batch of a rebuild unless the caller says otherwise (see `RebuildOptions`). */
export const REBUILD_BATCH_SIZE = 20_000;

export interface RebuildOptions {
  /**
   * Events read, decoded and handed to the projections at a time (the next batch is read
   * meanwhile, so about twice that is in memory). Larger batches let set-wise projections fold
   * more events into one row write: in the event-store benchmark 20,000 ran ~10% faster than
   * 5,000 and 50,000 ~20%, for a few hundred MB more at the top end.
   */
  batchSize?: number;
  /**
   * How long the async projections' transaction waits for a lock. Its truncate may wait for a
   * subscription's batch in flight; after that it holds its tables, and the only thing it could
   * wait for is a table of the inline side, which the rebuild itself holds until the end: an async
   * projection reading one would wait for ever. Default 5 s.
   */
  asyncLockTimeoutMs?: number;
}

export function asyncSubscriptionName(projectionName: string): string {
  return `projection:${projectionName}`;
}

/**
 * Truncates every read model and replays all events into them. The inline projections are
 * rebuilt in one transaction and the async ones in a second, concurrently (two connections
 * write while a third reads); the second commits only after the first has. Readers see the old
 * rows until the new ones commit, and appends that touch an inline read model wait for the
 * rebuild (their inline projection then applies on the rebuilt tables). The events replayed are
 * those of the rebuild's snapshot: an append that commits meanwhile either touches an inline
 * read model (and so waits for the rebuild, then applies itself) or concerns only async
 * projections, whose subscriptions take it from the checkpoint the rebuild leaves.
 *
 * Async projections may read only their own tables: during a rebuild their transaction cannot
 * see the inline tables (another transaction holds them until it commits), and one that tries
 * fails the rebuild after `asyncLockTimeoutMs` instead of waiting for ever.
 */
@Injectable()
export class ProjectionRebuilder {
  private readonly logger = new Logger(ProjectionRebuilder.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly projections: ProjectionRegistry,
    private readonly config: AppConfig,
  ) {}

  async rebuild({ batchSize = REBUILD_BATCH_SIZE, asyncLockTimeoutMs = 5_000 }: RebuildOptions = {}): Promise<RebuildResult> {
    const started = process.hrtime.bigint();
    const inline = this.projections.inline();
    const asyncs = this.projections.async();

    // The reader and the async side get connections of their own, outside the pool: with the
    // pool's they could wait for ever behind appends queued on the rebuild's locks, or on a pool
    // too small for three.
    const reader = await dedicatedConnection(this.config.database.url, 'latchkey-rebuild-reader');
    const side = asyncs.length > 0 ? await dedicatedConnection(this.config.database.url, 'latchkey-rebuild-async').catch((error: Error) => (void reader.end(), Promise.reject(error))) : undefined;
    const asyncTx = side && new ClientSql(side);
    let asyncOpen = false;
    let events: number;
    try {
      events = await inTransaction(this.dataSource, async (tx) => {
        await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('latchkey.rebuild', 0))`);
        // Both sides' declarations are checked before either touches a table.
        const inlineIndexes = await deferredIndexes(tx, inline);
        const asyncIndexes = await deferredIndexes(tx, asyncs);
        await truncate(tx, inline, inlineIndexes);
        // Events of transactions older than this bound are all settled; async projections take
        // those, and their subscriptions carry on from there. Inline ones take all they see.
        const [{ bound, snapshot }] = await tx.query<{ bound: string; snapshot: string }>(
          `SELECT latchkey_read_bound()::text AS bound, pg_export_snapshot() AS snapshot`,
        );
        if (asyncTx) {
          await asyncTx.query(`BEGIN; SET LOCAL lock_timeout = ${Math.max(1, Math.round(asyncLockTimeoutMs))}`);
          asyncOpen = true;
          // The truncate waits for a subscription's batch in flight, if any (a short wait).
          await truncate(asyncTx, asyncs, asyncIndexes).catch((error: unknown) => {
            if (pgError(error).code !== LOCK_NOT_AVAILABLE) throw error;
            throw new Error(`the async projections' tables (${asyncs.flatMap((p) => p.tables).join(', ')}) stayed locked by another transaction for ${asyncLockTimeoutMs} ms`);
          });
        }
        // The events are read on a third connection that shares this transaction's snapshot, so
        // the next batch is read and decoded while the current one is written.
        await reader.query(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`);
        await reader.query(`SET TRANSACTION SNAPSHOT '${snapshot.replace(/[^0-9A-Fa-f-]/g, '')}'`);
        const read = async (after: Checkpoint) => {
          const { rows } = await reader.query<Parameters<EventStore['toStored']>[0]>(
            `SELECT ${COLUMNS}
               FROM events
              WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
              ORDER BY events.transaction_id, events.global_position
              LIMIT $3`,
            [after.transactionId, after.position, batchSize],
          );
          return rows.map((row) => this.store.toStored(row));
        };
        const settledBound = BigInt(bound);
        let asyncCheckpoint: Checkpoint = START;
        let count = 0;
        let next = read(START);
        try {
          for (;;) {
            const stored = await next;
            if (stored.length === 0) break;
            next = read(checkpointOf(stored[stored.length - 1]));
            // A failed write must not leave the prefetch's rejection unhandled.
            next.catch(() => undefined);
            // Events come in transaction order, so the settled ones are a prefix of the batch.
            let end = stored.length;
            while (end > 0 && BigInt(stored[end - 1].transactionId) >= settledBound) end--;
            const settled = end === stored.length ? stored : stored.slice(0, end);
            await bothDone(
              ProjectionRegistry.applyAll(inline, stored, tx),
              asyncTx && settled.length > 0 ? applyAsync(asyncs, settled, asyncTx) : undefined,
            );
            if (settled.length > 0) asyncCheckpoint = checkpointOf(settled[settled.length - 1]);
            count += stored.length;
          }
          await reader.query('COMMIT');
        } catch (error) {
          await reader.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
        await bothDone(
          runAll(tx, inlineIndexes.creates),
          asyncTx && runAll(asyncTx, asyncIndexes.creates).then(() => setCheckpoints(asyncTx, asyncs, asyncCheckpoint)),
        );
        return count;
      });
      // The inline side has committed; should this commit fail, the async tables keep their old
      // rows and checkpoints, which agree with each other, and their subscriptions carry on.
      if (asyncTx) {
        await asyncTx.query('COMMIT');
        asyncOpen = false;
      }
    } finally {
      if (asyncOpen) await side!.query('ROLLBACK').catch(() => undefined);
      await Promise.all([reader.end(), side?.end()].map((ended) => ended?.catch(() => undefined)));
    }

    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    const names = [...inline, ...asyncs].map((p) => p.name);
    this.logger.log(`rebuilt ${names.length} projections from ${events} events in ${durationMs.toFixed(0)} ms`);
    return { events, projections: names, durationMs };
  }
}

/** Truncates the projections' tables and drops their query-only indexes. */
async function truncate(tx: ClientSql, projections: readonly Projection[], indexes: DeferredIndexes): Promise<void> {
  const tables = projections.flatMap((p) => p.tables);
  const statements = [...(tables.length > 0 ? [`TRUNCATE ${tables.join(', ')}`] : []), ...indexes.drops];
  if (statements.length > 0) await tx.query(statements.join(';\n'));
}

/** Where the async projections' subscriptions carry on from once the rebuild commits. */
async function setCheckpoints(tx: ClientSql, projections: readonly Projection[], checkpoint: Checkpoint): Promise<void> {
  for (const projection of projections) {
    await tx.query(
      `INSERT INTO subscriptions (name, last_transaction_id, last_position) VALUES ($1, $2::xid8, $3)
       ON CONFLICT (name) DO UPDATE SET last_transaction_id = EXCLUDED.last_transaction_id,
                                        last_position = EXCLUDED.last_position, updated_at = now()`,
      [asyncSubscriptionName(projection.name), checkpoint.transactionId, checkpoint.position],
    );
  }
}

async function runAll(tx: ClientSql, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await tx.query(statement);
}

/** `ProjectionRegistry.applyAll` for the async side, naming the projection that waited on a lock it should not need. */
async function applyAsync(projections: readonly Projection[], events: readonly StoredEvent[], sql: ClientSql): Promise<void> {
  for (const projection of projections) {
    try {
      await ProjectionRegistry.applyAll([projection], events, sql);
    } catch (error) {
      if (pgError(error).code !== LOCK_NOT_AVAILABLE) throw error;
      throw new Error(
        `async projection "${projection.name}" waited for a lock during the rebuild: an async projection may read and write only its own tables (${projection.tables.join(', ')})`,
      );
    }
  }
}

/** Waits for both writes to settle (a connection is not given a statement while it runs one), then throws the first failure. */
async function bothDone(a: Promise<void>, b: Promise<void> | undefined): Promise<void> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
}

interface DeferredIndexes {
  drops: string[];
  creates: string[];
}

/**
 * The indexes the projections declare as serving queries only, after checking that each exists
 * on one of its projection's own tables: the statements that drop them and that build them again.
 * An index behind a constraint (a primary key, a unique or exclusion constraint) goes and comes
 * back with its constraint, so the rows are checked against it once, when it is built again.
 */
async function deferredIndexes(tx: ClientSql, projections: readonly Projection[]): Promise<DeferredIndexes> {
  const declared = projections.flatMap((p) => (p.queryOnlyIndexes ?? []).map((index) => ({ projection: p, index })));
  if (declared.length === 0) return { drops: [], creates: [] };
  const found = await tx.query<{
    index: string | null;
    table: string | null;
    definition: string | null;
    constraintName: string | null;
    constraintDefinition: string | null;
  }>(
    `SELECT i.indexrelid::regclass::text AS index, i.indrelid::regclass::text AS table, pg_get_indexdef(i.indexrelid) AS definition,
            quote_ident(c.conname) AS "constraintName", pg_get_constraintdef(c.oid) AS "constraintDefinition"
       FROM unnest($1::text[]) WITH ORDINALITY AS d(name, n)
       LEFT JOIN pg_index i ON i.indexrelid = to_regclass(d.name)
       LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x')
      ORDER BY d.n`,
    [declared.map((d) => d.index)],
  );
  const drops: string[] = [];
  const creates: string[] = [];
  for (const [n, { projection, index }] of declared.entries()) {
    const row = found[n];
    // regclass prints a name without its schema when the schema is on the search path.
    const owned = row.table !== null && projection.tables.some((t) => t === row.table || t.endsWith(`.${row.table}`));
    if (!row.index || !row.definition || !owned) {
      throw new Error(`projection "${projection.name}" declares ${index} as a query-only index, but it is not an index on its tables (${projection.tables.join(', ')})`);
    }
    if (row.constraintName && row.constraintDefinition) {
      drops.push(`ALTER TABLE ${row.table} DROP CONSTRAINT ${row.constraintName}`);
      creates.push(`ALTER TABLE ${row.table} ADD CONSTRAINT ${row.constraintName} ${row.constraintDefinition}`);
    } else {
      drops.push(`DROP INDEX ${row.index}`);
      creates.push(row.definition);
    }
  }
  return { drops, creates };
}
