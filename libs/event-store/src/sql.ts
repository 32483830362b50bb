/**
 * The narrow database port that projections and queries use: parameterized SQL inside
 * whatever transaction the caller is in. It keeps TypeORM out of the domain library.
 */
export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
}

/** The pool-level `Sql` that queries (read models) inject; outside any transaction. */
export abstract class ReadSql implements Sql {
  abstract query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
}
