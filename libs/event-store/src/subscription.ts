import { Logger } from '@nestjs/common';
import type { Client } from 'pg';
import { isPostgresUnreachable } from './database/connection-failure';
import { ClientSql, closeConnection, dedicatedConnection, pgError } from './database/transaction';
import type { StoredEvent } from './event';
import { START, checkpointOf, type Checkpoint, type EventStore } from './event-store';
import type { Sql } from './sql';

export interface SubscriptionOptions {
  /** Events handed to the handler at once. */
  batchSize?: number;
  /** How long to wait before polling again when there was nothing new. */
  idleDelayMs?: number;
  /** How often a standby process tries to take over the subscription. */
  standbyRetryMs?: number;
  /** Delay after a failed batch before the same batch is tried again. */
  errorDelayMs?: number;
  /** A statement unanswered this long fails and the connection is dropped (see `dataSourceOptions`'s `serving`). */
  queryTimeoutMs?: number;
}

/**
 * Handles a batch inside the transaction that also moves the checkpoint: what the handler
 * writes with `tx` and the new checkpoint commit together (exactly once for database work;
 * side effects outside the database, like enqueuing jobs, must be idempotent).
 */
export type SubscriptionHandler = (events: readonly StoredEvent[], tx: Sql) => Promise<void>;

export type SubscriptionState = 'stopped' | 'standby' | 'active';

/** SQLSTATE of `latchkey_move_checkpoint` when the checkpoint is no longer where the runner read it. */
const CHECKPOINT_MOVED = 'LK003';

/** A handler's `Sql`: the transaction begins with its first statement, so a handler that writes nothing costs no `BEGIN`. */
class BegunOnFirstWrite implements Sql {
  readonly sql: ClientSql;
  private beginning: Promise<unknown> | undefined;

  constructor(client: Client) {
    this.sql = new ClientSql(client);
  }

  get begun(): boolean {
    return this.beginning !== undefined;
  }

  async query<T = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    // Once, also when a handler sends two statements without waiting for the first.
    this.beginning ??= this.sql.query('BEGIN');
    await this.beginning;
    return this.sql.query<T>(text, params);
  }
}

/**
 * A named, checkpointed reader of all events in commit-safe order. Across processes only one
 * runner of a name is active: it holds a session advisory lock on its own connection; the
 * others wait in standby and take over when that connection goes away.
 */
export class Subscription {
  private readonly logger: Logger;
  private readonly batchSize: number;
  private readonly idleDelayMs: number;
  private readonly standbyRetryMs: number;
  private readonly errorDelayMs: number;
  private readonly queryTimeoutMs: number | undefined;
  private client: Client | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;
  private currentState: SubscriptionState = 'stopped';
  private checkpoint: Checkpoint = START;

  constructor(
    readonly name: string,
    private readonly databaseUrl: string,
    private readonly store: EventStore,
    private readonly handler: SubscriptionHandler,
    options: SubscriptionOptions = {},
  ) {
    this.logger = new Logger(`Subscription:${name}`);
    this.batchSize = options.batchSize ?? 500;
    this.idleDelayMs = options.idleDelayMs ?? 250;
    this.standbyRetryMs = options.standbyRetryMs ?? 2000;
    this.errorDelayMs = options.errorDelayMs ?? 1000;
    this.queryTimeoutMs = options.queryTimeoutMs;
  }

  get state(): SubscriptionState {
    return this.currentState;
  }

  /** The last position handled (as this process knows it). */
  get position(): Checkpoint {
    return this.checkpoint;
  }

  /**
   * How far behind this runner is, in seconds: the age of the next event it has yet to handle
   * (0 when it has handled all there is). Undefined unless it is the active runner: a standby
   * process does not know the active one's checkpoint.
   */
  async delaySeconds(now: Date = new Date()): Promise<number | undefined> {
    if (this.currentState !== 'active') return undefined;
    const next = await this.store.nextEventTime(this.checkpoint);
    return next ? Math.max(0, (now.getTime() - next.getTime()) / 1000) : 0;
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.unsubscribe = this.store.onAppended(() => this.wake?.());
    this.loop = this.run();
  }

  /** Finishes the batch in hand, releases the lock and returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.unsubscribe?.();
    await this.loop;
    this.loop = undefined;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        if (!(await this.acquire())) {
          this.currentState = 'standby';
          await this.sleep(this.standbyRetryMs);
          continue;
        }
        this.currentState = 'active';
        this.logger.log(`active from ${this.checkpoint.transactionId}/${this.checkpoint.position}`);
        while (!this.stopping) {
          const handled = await this.step();
          if (handled < this.batchSize) await this.sleep(this.idleDelayMs);
        }
      } catch (error) {
        this.logger.error(`batch failed, retrying: ${(error as Error).message}`);
        await this.drop();
        await this.sleep(this.errorDelayMs);
      }
    }
    await this.drop();
    this.currentState = 'stopped';
  }

  /**
   * One batch: read, handle, move the checkpoint; returns how many events it handled. Round
   * trips: the read; `BEGIN` only when the handler writes (the relay does not); the checkpoint's
   * move with the `COMMIT` in one message — guarded by the old value: if a rebuild moved the
   * checkpoint meanwhile, the move fails, the commit is skipped and the batch is void.
   */
  private async step(): Promise<number> {
    const client = this.client!;
    const events = await this.store.readAll(this.checkpoint, this.batchSize, new ClientSql(client));
    if (events.length === 0) return 0;
    const next = checkpointOf(events[events.length - 1]);
    const tx = new BegunOnFirstWrite(client);
    try {
      await this.handler(events, tx);
      const move = {
        text: `SELECT latchkey_move_checkpoint($1, $2::xid8, $3, $4::xid8, $5)`,
        params: [this.name, next.transactionId, next.position, this.checkpoint.transactionId, this.checkpoint.position],
      };
      await tx.sql.script(tx.begun ? [move, 'COMMIT'] : [move]);
    } catch (error) {
      // A connection that stopped answering would make the ROLLBACK wait as long again: it is dropped instead.
      if (client.getTransactionStatus() !== 'I' && !isPostgresUnreachable(error)) await client.query('ROLLBACK').catch(() => undefined);
      if (pgError(error).code === CHECKPOINT_MOVED) throw new Error('checkpoint moved by another process (rebuild?); reloading');
      throw error;
    }
    this.checkpoint = next;
    return events.length;
  }

  private async acquire(): Promise<boolean> {
    // A dropped connection is noticed by the loop on its next query.
    const client = await dedicatedConnection(this.databaseUrl, `latchkey-subscription-${this.name}`, (error) => this.logger.warn(`connection lost: ${error.message}`), this.queryTimeoutMs);
    const sql = new ClientSql(client);
    const [{ locked }] = await sql.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked`, [
      `latchkey.subscription:${this.name}`,
    ]);
    if (!locked) {
      await closeConnection(client);
      return false;
    }
    this.client = client;
    await sql.query(`INSERT INTO subscriptions (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [this.name]);
    const [row] = await sql.query<{ tx: string; pos: string }>(
      `SELECT last_transaction_id::text AS tx, last_position AS pos FROM subscriptions WHERE name = $1`,
      [this.name],
    );
    this.checkpoint = { transactionId: row.tx, position: Number(row.pos) };
    return true;
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    // Closing the session releases its advisory lock (a half-open one's, when the server notices).
    if (client) await closeConnection(client);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
