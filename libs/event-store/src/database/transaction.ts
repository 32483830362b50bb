import { createHash } from 'node:crypto';
import { Client, type Pool, type PoolClient, type QueryResult } from 'pg';
import type { DataSource } from 'typeorm';
import type { Sql } from '../sql';

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
   * Several statements (parameters already bound as literals) in one message, one round trip:
   * outside a transaction block they run as one implicit transaction, all or nothing. The rows
   * of each statement, in order.
   */
  async script(statements: readonly string[]): Promise<Record<string, unknown>[][]> {
    const result = (await this.client.query(statements.join(';\n'))) as unknown as QueryResult | QueryResult[];
    return (Array.isArray(result) ? result : [result]).map((r) => r.rows as Record<string, unknown>[]);
  }
}

/**
 * A connection of its own, outside the pool, for work that holds one for long (a subscription's
 * session lock, a rebuild's reader). A connection that drops must not crash the process: the
 * error goes to `onError` and the next query on it fails.
 */
export async function dedicatedConnection(url: string, applicationName: string, onError: (error: Error) => void = () => undefined): Promise<Client> {
  const client = new Client({ connectionString: url, application_name: applicationName });
  client.on('error', onError);
  await client.connect();
  return client;
}

/** Runs `fn` on one pooled connection, outside any transaction block. */
export async function onConnection<T>(dataSource: DataSource, fn: (sql: ClientSql) => Promise<T>): Promise<T> {
  const client = await poolOf(dataSource).connect();
  let broken: Error | undefined;
  try {
    return await fn(new ClientSql(client));
  } finally {
    // A connection left inside a transaction block (it should not be) is not handed on.
    if (client.getTransactionStatus() !== 'I') broken = new Error('connection left inside a transaction block');
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
 * throws. `firstStatements` (no parameters) travel with the BEGIN, in the same round trip;
 * `prepared`: see `ClientSql`.
 */
export async function inTransaction<T>(
  dataSource: DataSource,
  fn: (tx: ClientSql) => Promise<T>,
  { firstStatements = [], prepared = false }: { firstStatements?: readonly string[]; prepared?: boolean } = {},
): Promise<T> {
  const client = await poolOf(dataSource).connect();
  let broken: Error | undefined;
  try {
    try {
      await client.query(['BEGIN', ...firstStatements].join(';\n'));
      const result = await fn(new ClientSql(client, prepared));
      // `fn` may have ended the transaction itself, with its last write (`appendAndCommit`).
      if (client.getTransactionStatus() !== 'I') await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
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
