import type { AppConfig } from '@latchkey/config';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { migrations } from '../migrations';

/**
 * `serving`: for the API and the worker, whose statements are all short — a statement
 * unanswered for `database.queryTimeoutMs` (DATABASE_QUERY_TIMEOUT_SECONDS) fails (its connection is then dropped), and TCP keepalive
 * is on, so that a connection left half-open (the server gone without a word: a failover, a
 * NAT that forgot it) does not hang requests, or the pool, for good (a chaos probe saw both).
 * Migrations and rebuilds run without a statement timeout.
 */
/** What a data source needs of the configuration (migrations and scripts leave the timeout out). */
export interface DatabaseSettings {
  database: Pick<AppConfig['database'], 'url' | 'poolSize'> & Partial<Pick<AppConfig['database'], 'queryTimeoutMs'>>;
}

export function dataSourceOptions(config: DatabaseSettings, applicationName = 'latchkey', serving = false): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.database.url,
    applicationName,
    poolSize: config.database.poolSize,
    // Fail fast when the database is unreachable instead of hanging a request or a health check.
    connectTimeoutMS: 5000,
    extra: { idleTimeoutMillis: 30000, ...(serving && config.database.queryTimeoutMs ? servingConnection(config.database.queryTimeoutMs) : {}) },
    entities: [],
    migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
  };
}

/** node-postgres options for a connection of the API or the worker (short statements only). */
export function servingConnection(queryTimeoutMs: number): { query_timeout: number; keepAlive: true; keepAliveInitialDelayMillis: number } {
  return { query_timeout: queryTimeoutMs, keepAlive: true, keepAliveInitialDelayMillis: 10_000 };
}

export function createDataSource(config: DatabaseSettings, applicationName?: string): DataSource {
  return new DataSource(dataSourceOptions(config, applicationName));
}
