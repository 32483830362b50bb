import { Injectable } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { EventEmitter } from 'node:events';
import { DataSource } from 'typeorm';
import { Clock, IdGenerator } from './clock';
import { literal } from './database/literals';
import { DataSourceSql, inTransaction, onConnection, pgError, type RunnerSql, type ScriptStatement } from './database/transaction';
import { ConcurrencyError, UniqueClaimTakenError } from './errors';
import type { DomainEvent, EventMetadata, StoredEvent } from './event';
import { EventTypeRegistry } from './event-type-registry';
import { MetadataContext } from './metadata-context';
import { ProjectionRegistry } from './projection';
import type { Sql } from './sql';

/** `'any'` appends whatever the stream's version; a number is the version the decision was made on (0: new stream). */
export type ExpectedVersion = number | 'any';

/** A value that must be unique within its scope (a username, an email in an account, ...). */
export interface UniqueClaim {
  scope: string;
  value: string;
  /** Defaults to the stream id of the first write. */
  owner?: string;
}

export interface StreamWrite {
  streamId: string;
  expectedVersion: ExpectedVersion;
  events: readonly DomainEvent[];
  /**
   * This write's own metadata, over the append's: one append may carry the work of several
   * jobs (the delivery worker records several deliveries at once), each with its own
   * correlation and causation.
   */
  metadata?: Partial<EventMetadata>;
}

export interface AppendOptions {
  claims?: readonly UniqueClaim[];
  releases?: readonly UniqueClaim[];
  /** Overrides what the request context says (e.g. a worker acting for a user). */
  metadata?: Partial<EventMetadata>;
}

/** What `exclusive` hands to its work: reads and appends inside the locked transaction. */
export interface StoreSession {
  sql: Sql;
  readStream(streamId: string, fromVersion?: number): Promise<StoredEvent[]>;
  appendMany(writes: readonly StreamWrite[], options?: AppendOptions): Promise<StoredEvent[]>;
  /**
   * The work's last write: appends and commits the transaction in the same message (one round
   * trip fewer than an append and then `COMMIT`). Nothing may use the session afterwards.
   */
  appendAndCommit(writes: readonly StreamWrite[], options?: AppendOptions): Promise<StoredEvent[]>;
}

/** An append's events with their ids and validated payloads, for a stream at a known version. */
interface PreparedWrite {
  streamId: string;
  expectedVersion: number;
  metadata: EventMetadata;
  rows: { id: string; type: string; schemaVersion: number; data: unknown }[];
}

/** SQLSTATEs raised by `latchkey_append` and `latchkey_claim` (see the migration) inside a one-message append. */
const STREAM_MOVED_STATE = 'LK001';
const CLAIM_TAKEN_STATE = 'LK002';

/**
 * The `Sql` inline projections write through during a one-message append: it keeps their
 * statements and parameters, to be sent with the events; there are no rows to return.
 */
class CollectedStatements implements Sql {
  readonly statements: ScriptStatement[] = [];

  query<T = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    this.statements.push({ text, params });
    return Promise.resolve([]);
  }
}

/** A position in the global order: the next read returns what comes strictly after it. */
export interface Checkpoint {
  transactionId: string;
  position: number;
}

/** How long a command waits for a stream's exclusive lock before it is retried (ConcurrencyError). */
export const EXCLUSIVE_LOCK_TIMEOUT_MS = 3000;

export const START: Checkpoint = Object.freeze({ transactionId: '0', position: 0 });

interface EventRow {
  global_position: string;
  transaction_id: string;
  id: string;
  stream_id: string;
  stream_type: string;
  version: number;
  type: string;
  schema_version: number;
  data: Record<string, unknown>;
  /** As JSON text: decoded only when someone reads it (see `toStored`). */
  metadata: string;
  /** Milliseconds since the epoch, fraction included. */
  occurred_at: number;
}

/**
 * The columns `toStored` reads, in a SELECT over `events`. The time comes as epoch milliseconds
 * (exact: `extract` gives a numeric), which `new Date` takes whole, cutting the microseconds as
 * node-postgres' own timestamp parser does, for a fraction of that parser's cost.
 */
export const COLUMNS = `global_position, transaction_id::text AS transaction_id, id, stream_id, stream_type, version, type,
  schema_version, data, metadata::text AS metadata, (extract(epoch FROM occurred_at) * 1000)::float8 AS occurred_at`;

/** One stream's events from a version on, in version order. */
const READ_STREAM = `SELECT ${COLUMNS} FROM events WHERE stream_id = $1 AND version >= $2 ORDER BY version`;

/** Several streams' events, each stream's in version order. */
const READ_STREAMS = `SELECT ${COLUMNS} FROM events WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, version`;

/** One stream's events, inserted by the server after it checked the stream's version (see the migration). */
const APPEND = `SELECT ${COLUMNS} FROM latchkey_append($1, $2, $3, $4, $5, $6::uuid[], $7::text[], $8::integer[], $9::jsonb[])`;

/** Stream ids are `<type>-<id>`: `login-0b6f…`, `user-…`. */
export function streamTypeOf(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash > 0 ? streamId.slice(0, dash) : streamId;
}

@Injectable()
export class EventStore {
  private readonly appended = new EventEmitter();

  constructor(
    private readonly dataSource: DataSource,
    private readonly types: EventTypeRegistry,
    private readonly projections: ProjectionRegistry,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly context: MetadataContext,
    private readonly eventBus: EventBus,
  ) {
    this.appended.setMaxListeners(0);
  }

  /** Appends to one stream; see `appendMany`. */
  append(streamId: string, expectedVersion: ExpectedVersion, events: readonly DomainEvent[], options: AppendOptions = {}): Promise<StoredEvent[]> {
    return this.appendMany([{ streamId, expectedVersion, events }], options);
  }

  /**
   * Appends to several streams, takes and releases unique claims, and runs the inline
   * projections, all in one transaction. A stream no longer at its expected version is a
   * `ConcurrencyError`; a claim owned by another is a `UniqueClaimTakenError`; either way
   * nothing is written. Committed events are then published on the EventBus.
   */
  async appendMany(writes: readonly StreamWrite[], options: AppendOptions = {}): Promise<StoredEvent[]> {
    if (!writes.some((w) => w.events.length > 0) && !options.claims?.length && !options.releases?.length) return [];
    // Written in one message, the append is its own (implicit) transaction: no BEGIN and COMMIT round trips.
    const stored = await onConnection(this.dataSource, (sql) => this.appendWithin(sql, writes, options));
    this.published(stored);
    return stored;
  }

  /**
   * Runs `work` in one transaction holding an exclusive lock on each named key (a stream id,
   * usually): commands on the same key run one after the other across all processes instead
   * of racing and retrying. Appends made through the session commit with the transaction and
   * are published afterwards.
   */
  async exclusive<T>(lockKeys: readonly string[], work: (session: StoreSession) => Promise<T>): Promise<T> {
    const stored: StoredEvent[] = [];
    const keys = [...new Set(lockKeys)].sort();
    // The locks are taken in the BEGIN's round trip. Waiting holds a pooled connection: bound
    // it, and let the command be retried instead. The locked streams are read in that round trip
    // too (after the locks, so they show what the previous holder committed): a command's first
    // read is nearly always the stream it locked.
    const locking: ScriptStatement[] = [
      `SET LOCAL lock_timeout = '${EXCLUSIVE_LOCK_TIMEOUT_MS}ms'`,
      ...keys.map((key) => `SELECT pg_advisory_xact_lock(hashtextextended(${literal(`latchkey.stream:${key}`)}, 0))`),
      // One key (nearly always): the plain stream read, whose generic plan is an index scan.
      ...(keys.length === 1 ? [{ text: READ_STREAM, params: [keys[0], 1] }] : keys.length > 1 ? [{ text: READ_STREAMS, params: [keys] }] : []),
    ];
    let result: T;
    try {
      result = await inTransaction(
        this.dataSource,
        (tx, firstRows) => {
          // Each locked stream as read under the lock, handed out once and only until it is written to.
          const locked = new Map<string, EventRow[]>(keys.map((key) => [key, []]));
          for (const row of (firstRows[firstRows.length - 1] ?? []) as unknown as EventRow[]) locked.get(row.stream_id)?.push(row);
          const append = (commit: boolean) => async (writes: readonly StreamWrite[], options?: AppendOptions) => {
            for (const write of writes) locked.delete(write.streamId);
            const appended = await this.appendWithin(tx, writes, options, commit);
            stored.push(...appended);
            return appended;
          };
          return work({
            sql: tx,
            readStream: (streamId, fromVersion = 1) => {
              const rows = fromVersion <= 1 ? locked.get(streamId) : undefined;
              if (!rows) return this.readStream(streamId, fromVersion, tx);
              locked.delete(streamId);
              return Promise.resolve(rows.map((row) => this.toStored(row)));
            },
            appendMany: append(false),
            appendAndCommit: append(true),
          });
        },
        // A command's reads (its streams, read-model rows) are the same few statements every time.
        { firstStatements: locking, prepared: true },
      );
    } catch (error) {
      if (pgError(error).code === '55P03') throw new ConcurrencyError(keys[0] ?? 'unknown', 'any'); // lock_not_available
      throw error;
    }
    this.published(stored);
    return result;
  }

  /** `commit`: inside a transaction block, end it with the same message (see `exclusive`). */
  private async appendWithin(tx: RunnerSql, writes: readonly StreamWrite[], options: AppendOptions = {}, commit = false): Promise<StoredEvent[]> {
    const nonEmpty = writes.filter((w) => w.events.length > 0);
    const metadata: EventMetadata = { ...this.context.current(), ...options.metadata };
    const occurredAt = this.clock.now();
    const versions = await this.currentVersions(
      tx,
      nonEmpty.filter((w) => w.expectedVersion === 'any').map((w) => w.streamId),
    );
    const prepared = nonEmpty.map((w) => ({
      streamId: w.streamId,
      expectedVersion: w.expectedVersion === 'any' ? (versions.get(w.streamId) ?? 0) : w.expectedVersion,
      metadata: w.metadata ? { ...metadata, ...w.metadata } : metadata,
      rows: w.events.map((e) => ({ id: this.ids.next(), ...this.types.validate(e) })),
    }));
    return this.appendInOneMessage(tx, prepared, options, occurredAt, writes[0]?.streamId ?? 'unknown', commit);
  }

  /**
   * Where streams appended to with `'any'` are now: the append then expects exactly that, so a
   * writer that gets in between makes it a `ConcurrencyError`, as two `'any'` appends racing
   * for the same version always did.
   */
  private async currentVersions(sql: Sql, streamIds: readonly string[]): Promise<Map<string, number>> {
    if (streamIds.length === 0) return new Map();
    const rows = await sql.query<{ stream_id: string; version: number }>(
      `SELECT stream_id, max(version) AS version FROM events WHERE stream_id = ANY($1::text[]) GROUP BY stream_id`,
      [streamIds],
    );
    return new Map(rows.map((r) => [r.stream_id, r.version]));
  }

  /**
   * Claims, events and inline projections as one message: one round trip to PostgreSQL where a
   * statement at a time took one each (on a small machine the round trips, not the statements,
   * were most of an append's cost). The versions are known beforehand, so the inline projections
   * are handed the events before they are written and their statements are collected, not run
   * (inline projections only write; see `Projection`). What the client cannot check half-way is
   * checked by the server: a stream found at another version or a claim owned by someone else
   * fails its statement, and the whole message is undone.
   */
  private async appendInOneMessage(
    sql: RunnerSql,
    writes: readonly PreparedWrite[],
    options: AppendOptions,
    occurredAt: Date,
    defaultOwner: string,
    commit = false,
  ): Promise<StoredEvent[]> {
    const statements: ScriptStatement[] = [];
    for (const release of options.releases ?? []) {
      statements.push({ text: `DELETE FROM unique_claims WHERE scope = $1 AND value = $2 AND owner = $3`, params: [release.scope, release.value, release.owner ?? defaultOwner] });
    }
    for (const claim of options.claims ?? []) {
      statements.push({ text: `SELECT latchkey_claim($1, $2, $3)`, params: [claim.scope, claim.value, claim.owner ?? defaultOwner] });
    }
    const inserts: number[] = [];
    const pending: StoredEvent[] = [];
    let lastMetadata: EventMetadata | undefined;
    let metadataJson = '';
    for (const write of writes) {
      // Usually every write shares the append's metadata object: serialized once.
      if (write.metadata !== lastMetadata) {
        lastMetadata = write.metadata;
        metadataJson = JSON.stringify(write.metadata);
      }
      const streamType = streamTypeOf(write.streamId);
      const data = write.rows.map((r) => JSON.stringify(r.data));
      inserts.push(statements.length);
      statements.push({
        text: APPEND,
        params: [
          write.streamId,
          streamType,
          write.expectedVersion,
          metadataJson,
          occurredAt,
          write.rows.map((r) => r.id),
          write.rows.map((r) => r.type),
          write.rows.map((r) => r.schemaVersion),
          data,
        ],
      });
      write.rows.forEach((row, i) =>
        pending.push({
          id: row.id,
          // Assigned by the database; no inline projection may depend on them.
          globalPosition: 0,
          transactionId: '0',
          streamId: write.streamId,
          streamType,
          version: write.expectedVersion + i + 1,
          type: row.type,
          schemaVersion: row.schemaVersion,
          // As a projection reads them back from the table: through JSON.
          data: JSON.parse(data[i]) as unknown,
          metadata: JSON.parse(metadataJson) as EventMetadata,
          occurredAt,
        }),
      );
    }
    const projections = new CollectedStatements();
    await ProjectionRegistry.applyAll(this.projections.inline(), pending, projections);
    statements.push(...projections.statements);

    if (statements.length === 0) return [];
    // After a failing statement the server skips the rest of the message, this COMMIT included,
    // and the transaction is left for the caller to roll back.
    if (commit) statements.push('COMMIT');
    let results: Record<string, unknown>[][];
    try {
      results = await sql.script(statements);
    } catch (error) {
      const pg = pgError(error);
      if (pg.code === STREAM_MOVED_STATE) throw new ConcurrencyError(pg.detail ?? defaultOwner, writes.find((w) => w.streamId === pg.detail)?.expectedVersion ?? 'any');
      if (pg.code === '23505' && pg.constraint === 'events_stream_version_key') throw new ConcurrencyError(writes[0]?.streamId ?? defaultOwner, writes[0]?.expectedVersion ?? 'any');
      if (pg.code === CLAIM_TAKEN_STATE) throw new UniqueClaimTakenError(pg.detail ?? 'unknown');
      throw error;
    }
    return inserts.flatMap((index) => (results[index] as unknown as EventRow[]).map((row) => this.toStored(row)).sort((a, b) => a.version - b.version));
  }

  /** After commit: wake local subscribers, then hand the events to the EventBus. */
  private published(stored: StoredEvent[]): void {
    if (stored.length === 0) return;
    this.appended.emit('appended', stored);
    // Handlers learn of an event only once it is durable; their failures cannot undo it.
    this.eventBus.publishAll(stored.map((e) => this.types.toDomain(e)));
  }

  /**
   * One event by its global position, checked against its id (the delivery worker loads what it
   * must send this way: jobs carry references, never the secrets themselves).
   */
  async readEvent(globalPosition: number, id: string): Promise<StoredEvent | undefined> {
    const rows = await new DataSourceSql(this.dataSource).query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE global_position = $1 AND id = $2`,
      [globalPosition, id],
    );
    return rows[0] ? this.toStored(rows[0]) : undefined;
  }

  /** Who owns a unique value, if anyone. */
  async claimOwner(scope: string, value: string): Promise<string | null> {
    const rows = await new DataSourceSql(this.dataSource).query<{ owner: string }>(
      `SELECT owner FROM unique_claims WHERE scope = $1 AND value = $2`,
      [scope, value],
    );
    return rows[0]?.owner ?? null;
  }

  /** Several streams' events, each stream's in version order (one read for the work of several jobs). */
  async readStreams(streamIds: readonly string[]): Promise<Map<string, StoredEvent[]>> {
    const streams = new Map<string, StoredEvent[]>(streamIds.map((id) => [id, []]));
    if (streamIds.length === 0) return streams;
    const rows = await new DataSourceSql(this.dataSource).query<EventRow>(READ_STREAMS, [[...new Set(streamIds)]]);
    for (const row of rows) streams.get(row.stream_id)?.push(this.toStored(row));
    return streams;
  }

  /** A stream's events in version order, upcast to current payload shapes. */
  async readStream(streamId: string, fromVersion = 1, sql: Sql = new DataSourceSql(this.dataSource)): Promise<StoredEvent[]> {
    const rows = await sql.query<EventRow>(READ_STREAM, [streamId, fromVersion]);
    return rows.map((row) => this.toStored(row));
  }

  /**
   * Events after `after` in (transaction_id, global_position) order, never past the oldest
   * transaction still open: an event whose transaction commits late is not skipped, it
   * simply holds back everything after it until it is visible.
   */
  async readAll(after: Checkpoint = START, limit = 1000, sql: Sql = new DataSourceSql(this.dataSource)): Promise<StoredEvent[]> {
    const rows = await sql.query<EventRow>(
      `SELECT ${COLUMNS} FROM events
        WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
          AND transaction_id < (SELECT latchkey_read_bound())
        ORDER BY events.transaction_id, events.global_position
        LIMIT $3`,
      [after.transactionId, after.position, limit],
    );
    return rows.map((row) => this.toStored(row));
  }

  /**
   * When the next event after `after` in reading order (committed, whether or not an open
   * transaction still holds it back) was appended; undefined when there is none.
   */
  async nextEventTime(after: Checkpoint): Promise<Date | undefined> {
    const [row] = await new DataSourceSql(this.dataSource).query<{ at: number }>(
      `SELECT (extract(epoch FROM occurred_at) * 1000)::float8 AS at FROM events
        WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
        ORDER BY transaction_id, global_position
        LIMIT 1`,
      [after.transactionId, after.position],
    );
    return row ? new Date(row.at) : undefined;
  }

  /** Listens for appends made by this process (a subscriber's cue to poll now). */
  onAppended(listener: (events: StoredEvent[]) => void): () => void {
    this.appended.on('appended', listener);
    return () => this.appended.off('appended', listener);
  }

  toStored(row: EventRow): StoredEvent {
    const { schemaVersion, data } = this.types.upcast(row.type, row.schema_version, row.data);
    return new ReadEvent(row, schemaVersion, data);
  }
}

/**
 * An event read from the table. Most readers never look at its metadata (aggregates replaying a
 * stream, most projections, the relay) and that JSON is about as long as the payload's, so it is
 * parsed on first access. The getter lives on the class, not on each object: an object literal
 * with its own getter cost more to build, and more garbage, than the parse it saved.
 */
class ReadEvent implements StoredEvent {
  readonly id: string;
  readonly globalPosition: number;
  readonly transactionId: string;
  readonly streamId: string;
  readonly streamType: string;
  readonly version: number;
  readonly type: string;
  readonly occurredAt: Date;
  readonly #metadataJson: string;
  #metadata: EventMetadata | undefined;

  constructor(
    row: EventRow,
    readonly schemaVersion: number,
    readonly data: unknown,
  ) {
    this.id = row.id;
    this.globalPosition = Number(row.global_position);
    this.transactionId = row.transaction_id;
    this.streamId = row.stream_id;
    this.streamType = row.stream_type;
    this.version = row.version;
    this.type = row.type;
    this.occurredAt = new Date(row.occurred_at);
    this.#metadataJson = row.metadata;
  }

  get metadata(): EventMetadata {
    return (this.#metadata ??= JSON.parse(this.#metadataJson) as EventMetadata);
  }

  /** As a plain event, metadata included (JSON and logs see every field). */
  toJSON(): StoredEvent {
    return { ...this, metadata: this.metadata };
  }
}

export function checkpointOf(event: StoredEvent): Checkpoint {
  return { transactionId: event.transactionId, position: event.globalPosition };
}
