/**
 * The narrow database port that projections and queries use: parameterized SQL inside
 * whatever transaction the caller is in. It keeps TypeORM out of the domain library.
 */
export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
}
