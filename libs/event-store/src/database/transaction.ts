import type { Client, Pool, PoolClient } from 'pg';
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

/** A `Sql` on one connection (pooled or dedicated), maybe inside a transaction. */
export class ClientSql implements Sql {
  constructor(readonly client: Client | PoolClient) {}

  async query<T = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    const result = await this.client.query(text, params as unknown[]);
    return result.rows as T[];
  }

  /**
   * A named prepared statement: planned once per connection instead of on every call (the
   * append statement's planning costs more than its execution).
   */
  async prepared<T = Record<string, unknown>>(name: string, text: string, params: readonly unknown[]): Promise<T[]> {
    const result = await this.client.query({ name, text, values: params as unknown[] });
    return result.rows as T[];
  }
}

/** The name the rest of the store uses for a transaction's `Sql`. */
export { ClientSql as RunnerSql };

/** Pool-level `Sql`: each query on whatever connection is free, outside any transaction. */
export class DataSourceSql implements Sql {
  constructor(private readonly dataSource: DataSource) {}

  async query<T = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    const result = await poolOf(this.dataSource).query(text, params as unknown[]);
    return result.rows as T[];
  }
}

/** Runs `fn` in one transaction on one connection; commits when it resolves, rolls back when it throws. */
export async function inTransaction<T>(dataSource: DataSource, fn: (tx: ClientSql) => Promise<T>): Promise<T> {
  const client = await poolOf(dataSource).connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      const result = await fn(new ClientSql(client));
      await client.query('COMMIT');
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
export function pgError(error: unknown): { code?: string; constraint?: string } {
  const e = error as { driverError?: { code?: string; constraint?: string }; code?: string; constraint?: string };
  return e?.driverError ?? e ?? {};
}
