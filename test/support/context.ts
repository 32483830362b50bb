import { Module, type DynamicModule, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AppConfig } from '@latchkey/config';
import { EventStore, EventStoreModule, type EventStoreFeature } from '@latchkey/event-store';
import { PlatformModule } from '@latchkey/platform';
import { Client } from 'pg';
import { testConfig } from './config';
import { createTestDatabase, dropDatabase } from './database';

export interface TestContext {
  app: INestApplicationContext;
  config: AppConfig;
  database: { url: string; name: string };
  store: EventStore;
  /** A plain connection to the test database, for looking at rows directly. */
  pg: Client;
  close(): Promise<void>;
}

/** The platform (database, event store, CQRS, Redis) in-process, on a database of its own. */
export async function startContext(
  label: string,
  feature: EventStoreFeature = {},
  options: { imports?: (Type | DynamicModule)[]; setupSql?: string; env?: Record<string, string> } = {},
): Promise<TestContext> {
  const database = await createTestDatabase(label);
  const pg = new Client({ connectionString: database.url });
  await pg.connect();
  if (options.setupSql) await pg.query(options.setupSql);
  const config = testConfig(database.url, label, options.env);

  @Module({
    imports: [PlatformModule.forRoot(config, { app: 'worker' }), EventStoreModule.forFeature(feature), ...(options.imports ?? [])],
  })
  class TestModule {}

  const app = await NestFactory.createApplicationContext(TestModule, { logger: false });
  return {
    app,
    config,
    database,
    store: app.get(EventStore),
    pg,
    close: async () => {
      await app.close();
      await pg.end();
      await dropDatabase(database.name);
    },
  };
}
