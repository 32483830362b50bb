import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Client, type Pool, type PoolClient, type QueryResult } from 'pg';
import type { DataSource } from 'typeorm';
import type { Sql } from '../sql';
import { isPostgresUnreachable } from './connection-failure';
import { servingConnection } from './data-source';
import { bindLiterals, literal } from './literals';

/**
 * The pg pool under TypeORM's data source. TypeORM supplies the pool, migrations and the Nest
 * integration; the event store's hot paths talk to node-postgres directly (a query runner per
 * statement costs more CPU than the statement itself on a small machine).
 */
export function poolOf(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}

/**
 * A `Sql` on one connection (pooled or dedicated), maybe inside a transaction. With `prepared`,
 * statements with parameters are prepared by name, as `DataSourceSql` does: a pooled connection
 * then parses and plans each of a command's small reads once, not in every transaction. Left off
 * where statements are big and set-wise (a rebuild, a subscription's projections), whose plans
 * should see each batch's actual arrays.
 */
export class ClientSql implements Sql {
  constructor(
    readonly client: Client | PoolClient,
    private readonly prepared = false,
  ) {}

  async query<T = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    const name = this.prepared && params.length > 0 ? statementName(text) : undefined;
    const result = await (name ? this.client.query({ name, text, values: params as unknown[] }) : this.client.query(text, params as unknown[]));
    return result.rows as T[];
  }

  /**
   * Several statements in one message, one round trip: outside a transaction block they run as
   * one implicit transaction, all or nothing. The rows of each statement, in order. A statement
   * given with its parameters runs as a prepared statement of this connection (`EXECUTE`, the
   * values written as literals), so PostgreSQL parses and plans it once per connection, not on
   * every message; one that cannot be prepared runs with its literals written into its text.
   */
  async script(statements: readonly ScriptStatement[]): Promise<Record<string, unknown>[][]> {
    const texts: string[] = [];
    for (const statement of statements) {
      if (typeof statement === 'string') {
        texts.push(statement);
        continue;
      }
      const write = preparedWriteOf(statement.text);
      const usable = write && write.parameters === statement.params.length ? write : undefined;
      // Prepared here already (every use but a connection's first): no await on the hot path.
      const prepared = usable && (this.preparedHere().has(usable.name) ? usable : await this.prepare(statement.text, usable));
      texts.push(prepared ? executeText(prepared, statement.params) : bindLiterals(statement.text, statement.params));
    }
    let result: QueryResult | QueryResult[];
    try {
      result = (await this.client.query(texts.join(';\n'))) as unknown as QueryResult | QueryResult[];
    } catch (error) {
      // The server no longer holds what this connection prepared (`DISCARD ALL`, a pooler that
      // swapped the server connection): this message fails, the next one prepares again.
      if (pgError(error).code === UNDEFINED_PREPARED_STATEMENT) preparedOn.delete(this.client);
      throw error;
    }
    return (Array.isArray(result) ? result : [result]).map((r) => r.rows as Record<string, unknown>[]);
  }

  /** The names prepared on this connection. */
  private preparedHere(): Set<string> {
    let here = preparedOn.get(this.client);
    if (!here) preparedOn.set(this.client, (here = new Set()));
    return here;
  }

  /**
   * Prepares `text` on this connection as `write` (its first use here). Inside a transaction
   * block the `PREPARE` runs under a savepoint (taken in a round trip of its own, so that it
   * exists even when the server refuses the `PREPARE`'s message whole), and one that fails leaves
   * the transaction as it was. Undefined: run it with literals from now on (a text the server
   * cannot prepare without its values' types, or in which it counts other parameters than `$n`
   * suggests).
   */
  private async prepare(text: string, write: PreparedWrite): Promise<PreparedWrite | undefined> {
    const here = this.preparedHere();
    const inBlock = this.client.getTransactionStatus() !== 'I';
    // What the server makes of the text: its parameter count, checked against ours.
    const prepare = `PREPARE ${write.name} AS ${text}\n;\nSELECT cardinality(parameter_types) AS parameters FROM pg_prepared_statements WHERE name = '${write.name}'`;
    let parameters: number;
    try {
      if (inBlock) await this.client.query('SAVEPOINT latchkey_prepare');
      const results = (await this.client.query(inBlock ? `${prepare};\nRELEASE SAVEPOINT latchkey_prepare` : prepare)) as unknown as QueryResult[];
      parameters = Number(results[1].rows[0]?.parameters);
    } catch (error) {
      if (inBlock) {
        // Undone to the savepoint; if even that fails, the transaction is lost: report why it failed.
        try {
          await this.client.query('ROLLBACK TO SAVEPOINT latchkey_prepare;\nRELEASE SAVEPOINT latchkey_prepare');
        } catch {
          throw error;
        }
      }
      const code = pgError(error).code ?? '';
      // Already prepared here (a name's hash collision aside, it cannot be): use it.
      if (code === DUPLICATE_PREPARED_STATEMENT) {
        here.add(write.name);
        return write;
      }
      // Class 42: the text itself cannot be prepared (a parameter whose type only its value
      // tells, say); it runs with literals from now on, as every statement used to.
      if (!code.startsWith('42')) throw error;
      return this.literalOnly(text, write, `SQLSTATE ${code}`);
    }
    here.add(write.name);
    if (parameters !== write.parameters) {
      // A `$n` inside a comment or a string: every EXECUTE would fail. Give the name back.
      await this.client.query(`DEALLOCATE ${write.name}`);
      here.delete(write.name);
      return this.literalOnly(text, write, `${parameters} parameters where the text shows ${write.parameters}`);
    }
    return write;
  }

  private literalOnly(text: string, write: PreparedWrite, why: string): undefined {
    preparedWrites.set(text, null);
    logger.warn(`statement ${write.name} cannot be prepared (${why}); it runs with its values written into its text`);
    return undefined;
  }
}

/** A statement for `ClientSql.script`: a text sent as it is, or a text with `$n` parameters. */
export type ScriptStatement = string | { text: string; params: readonly unknown[] };

interface PreparedWrite {
  name: string;
  /** The highest `$n` in the text: `EXECUTE` must be given exactly that many values. */
  parameters: number;
}

const DUPLICATE_PREPARED_STATEMENT = '42P05';
const UNDEFINED_PREPARED_STATEMENT = '26000';
/** What `PREPARE` takes: one statement of these kinds, no `;` (a second statement), no comment (it could hide a `$n` or swallow what follows). */
const PREPARABLE = /^\s*(select|insert|update|delete|with|values|merge)\b[^;]*$/is;
/** Distinct statement texts that `script` prepares at most, per process (the rest run with literals). */
const MAX_PREPARED_WRITES = 256;
/** Text → its name and parameter count; null: the server cannot prepare it. */
const preparedWrites = new Map<string, PreparedWrite | null>();
/** The names prepared on each connection (PostgreSQL keeps them until the connection ends, whatever becomes of the transaction). */
const preparedOn = new WeakMap<Client | PoolClient, Set<string>>();
const logger = new Logger('EventStore');

/** How `text` is prepared; null when it runs with literals (not one statement `PREPARE` takes), undefined past the cap. */
function preparedWriteOf(text: string): PreparedWrite | undefined {
  let write = preparedWrites.get(text);
  if (write === undefined && preparedWrites.size < MAX_PREPARED_WRITES) {
    if (PREPARABLE.test(text) && !text.includes('--') && !text.includes('/*')) {
      let parameters = 0;
      for (const match of text.matchAll(/\$(\d+)/g)) parameters = Math.max(parameters, Number(match[1]));
      write = { name: `latchkey_write_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`, parameters };
    } else write = null;
    preparedWrites.set(text, write);
  }
  return write ?? undefined;
}

/** `EXECUTE` of a prepared statement with its values as literals, typed by the statement as `$n` were. */
function executeText(write: PreparedWrite, params: readonly unknown[]): string {
  return params.length === 0 ? `EXECUTE ${write.name}` : `EXECUTE ${write.name}(${params.map(literal).join(', ')})`;
}

/**
 * A connection of its own, outside the pool, for work that holds one for long (a subscription's
 * session lock, a rebuild's reader). A connection that drops must not crash the process: the
 * error goes to `onError` and the next query on it fails.
 */
export async function dedicatedConnection(
  url: string,
  applicationName: string,
  onError: (error: Error) => void = () => undefined,
  /**
   * For a subscription's connection (short statements only): the client-side statement timeout
   * and keepalive of `dataSourceOptions`'s `serving`, and the server's side of it too. The
   * session holds the subscription's advisory lock, so when its client is gone without a word
   * the server must end it, or no other process could take the subscription over (a standby,
   * or this one reconnecting) until the server's own TCP keepalive noticed — two hours by
   * default. The server ends a session left idle for twice the statement timeout (the loop polls
   * every few hundred milliseconds) and probes a silent client after 10 s (PostgreSQL 14+).
   */
  queryTimeoutMs?: number,
): Promise<Client> {
  const sessionTimeouts = queryTimeoutMs
    ? `-c idle_session_timeout=${2 * queryTimeoutMs} -c idle_in_transaction_session_timeout=${2 * queryTimeoutMs} -c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3`
    : undefined;
  const client = new Client({
    connectionString: url,
    application_name: applicationName,
    connectionTimeoutMillis: 5000,
    ...(queryTimeoutMs ? { ...servingConnection(queryTimeoutMs), options: sessionTimeouts } : {}),
  });
  client.on('error', onError);
  await client.connect();
  return client;
}

/**
 * Ends a dedicated connection, within `withinMs`: a connection left half-open never answers the
 * goodbye, so after that its socket is destroyed (and the server's session, if it is still
 * there, ends when the server notices).
 */
export async function closeConnection(client: Client, withinMs = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    client.end().then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), withinMs))),
  ]);
  clearTimeout(timer);
  if (!ended) (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/** Runs `fn` on one pooled connection, outside any transaction block. */
export async function onConnection<T>(dataSource: DataSource, fn: (sql: ClientSql) => Promise<T>): Promise<T> {
  const client = await poolOf(dataSource).connect();
  let broken: Error | undefined;
  try {
    return await fn(new ClientSql(client));
  } catch (error) {
    // A connection that went away or stopped answering is dropped, not handed to the next caller.
    if (isPostgresUnreachable(error)) broken = error as Error;
    throw error;
  } finally {
    // A connection left inside a transaction block (it should not be) is not handed on.
    if (!broken && client.getTransactionStatus() !== 'I') broken = new Error('connection left inside a transaction block');
    client.release(broken);
  }
}

/** The name the rest of the store uses for a transaction's `Sql`. */
export { ClientSql as RunnerSql };

/** Distinct statement texts that `DataSourceSql` prepares at most, per process (the rest run unnamed). */
const MAX_PREPARED_READS = 256;
const preparedNames = new Map<string, string>();

/**
 * Pool-level `Sql`: each query on whatever connection is free, outside any transaction. The
 * statements are prepared (named by their text), so each connection plans a read once instead
 * of on every request: for the small indexed reads of a login or a refresh, planning cost more
 * than running them.
 */
export class DataSourceSql implements Sql {
  constructor(private readonly dataSource: DataSource) {}

  async query<T = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    const result = await poolOf(this.dataSource).query({ name: statementName(text), text, values: params as unknown[] });
    return result.rows as T[];
  }
}

function statementName(text: string): string | undefined {
  let name = preparedNames.get(text);
  if (name === undefined && preparedNames.size < MAX_PREPARED_READS) {
    name = `latchkey_read_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    preparedNames.set(text, name);
  }
  return name;
}

/**
 * Runs `fn` in one transaction on one connection; commits when it resolves, rolls back when it
 * throws. `firstStatements` travel with the BEGIN, in the same round trip (see `ClientSql.script`
 * for those given with parameters), and `fn` gets their rows; `prepared`: see `ClientSql`.
 */
export async function inTransaction<T>(
  dataSource: DataSource,
  fn: (tx: ClientSql, firstRows: Record<string, unknown>[][]) => Promise<T>,
  { firstStatements = [], prepared = false }: { firstStatements?: readonly ScriptStatement[]; prepared?: boolean } = {},
): Promise<T> {
  const client = await poolOf(dataSource).connect();
  let broken: Error | undefined;
  try {
    try {
      const tx = new ClientSql(client, prepared);
      const [, ...firstRows] = await tx.script(['BEGIN', ...firstStatements]);
      const result = await fn(tx, firstRows);
      // `fn` may have ended the transaction itself, with its last write (`appendAndCommit`).
      if (client.getTransactionStatus() !== 'I') await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that went away or stopped answering is dropped without a ROLLBACK (which
      // would wait as long again): the server ends the transaction with the session.
      if (isPostgresUnreachable(error)) broken = error as Error;
      else await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    }
  } finally {
    // A connection that could not even roll back is dropped, not handed to the next caller.
    client.release(broken);
  }
}

/** The Postgres error behind a TypeORM QueryFailedError (or the error itself). */
export function pgError(error: unknown): { code?: string; constraint?: string; detail?: string } {
  type PgFields = { code?: string; constraint?: string; detail?: string };
  const e = error as PgFields & { driverError?: PgFields };
  return e?.driverError ?? e ?? {};
}
