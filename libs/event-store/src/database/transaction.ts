import type { DataSource, QueryRunner } from 'typeorm';
import type { Sql } from '../sql';

/** A `Sql` bound to one TypeORM query runner (one connection, maybe inside a transaction). */
export class RunnerSql implements Sql {
  constructor(readonly runner: QueryRunner) {}

  async query<T = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    const result = await this.runner.query(text, params as unknown[], true);
    return (result.records ?? []) as T[];
  }

  /**
   * A named prepared statement on this runner's connection: planned once per connection
   * instead of on every call (the append statement's planning costs more than its execution).
   */
  async prepared<T = Record<string, unknown>>(name: string, text: string, params: readonly unknown[]): Promise<T[]> {
    const client = (await this.runner.connect()) as import('pg').PoolClient;
    const result = await client.query({ name, text, values: params as unknown[] });
    return result.rows as T[];
  }
}

/** Pool-level `Sql`: each query on whatever connection is free, outside any transaction. */
export class DataSourceSql implements Sql {
  constructor(private readonly dataSource: DataSource) {}

  async query<T = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await new RunnerSql(runner).query<T>(text, params);
    } finally {
      await runner.release();
    }
  }
}

/** Runs `fn` in one transaction on one connection; commits when it resolves, rolls back when it throws. */
export async function inTransaction<T>(dataSource: DataSource, fn: (tx: RunnerSql) => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    try {
      const result = await fn(new RunnerSql(runner));
      await runner.commitTransaction();
      return result;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    }
  } finally {
    await runner.release();
  }
}

/** The Postgres error behind a TypeORM QueryFailedError (or the error itself). */
export function pgError(error: unknown): { code?: string; constraint?: string } {
  const e = error as { driverError?: { code?: string; constraint?: string }; code?: string; constraint?: string };
  return e?.driverError ?? e ?? {};
}

/** A `Sql` on a plain pg client: for connections that live outside the pool (locks, subscriptions). */
export class ClientSql implements Sql {
  constructor(readonly client: import('pg').Client) {}

  async query<T = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    const result = await this.client.query(text, params as unknown[]);
    return result.rows as T[];
  }
}
