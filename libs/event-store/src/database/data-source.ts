import type { AppConfig } from '@latchkey/config';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { migrations } from '../migrations';

export function dataSourceOptions(config: Pick<AppConfig, 'database'>, applicationName = 'latchkey'): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.database.url,
    applicationName,
    poolSize: config.database.poolSize,
    // Fail fast when the database is unreachable instead of hanging a request or a health check.
    connectTimeoutMS: 5000,
    extra: { idleTimeoutMillis: 30000 },
    entities: [],
    migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
  };
}

export function createDataSource(config: Pick<AppConfig, 'database'>, applicationName?: string): DataSource {
  return new DataSource(dataSourceOptions(config, applicationName));
}
