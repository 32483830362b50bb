export { EventSourcedAggregate, type AggregateClass } from './aggregate';
export { AggregateRepository, MAX_COMMAND_ATTEMPTS, UnitOfWork } from './aggregate-repository';
export { AsyncProjectionRunner } from './async-projection-runner';
export { Clock, IdGenerator, RandomIdGenerator, SystemClock } from './clock';
export { createDataSource, dataSourceOptions } from './database/data-source';
export { isPostgresUnreachable } from './database/connection-failure';
export { databaseName, ensureDatabase, migrate, prepareDatabase } from './database/prepare-database';
export { ClientSql, DataSourceSql, inTransaction, poolOf, RunnerSql } from './database/transaction';
export { ConcurrencyError, DomainError, EventStoreError, InvalidEventPayloadError, UniqueClaimTakenError, UnknownEventTypeError } from './errors';
export { DomainEvent, defineEvent, type Actor, type EventClass, type EventMetadata, type StoredEvent, type Upcaster } from './event';
export {
  EventStore,
  START,
  checkpointOf,
  streamTypeOf,
  type AppendOptions,
  type Checkpoint,
  type ExpectedVersion,
  type StoreSession,
  type StreamWrite,
  type UniqueClaim,
} from './event-store';
export { EventStoreModule, type EventStoreFeature } from './event-store.module';
export { EventTypeRegistry } from './event-type-registry';
export { CONTEXT_KEYS, MetadataContext } from './metadata-context';
export { BackgroundWork } from './background-work';
export { ProjectionRegistry, type Projection } from './projection';
export { ProjectionRebuilder, REBUILD_BATCH_SIZE, asyncSubscriptionName, type RebuildOptions, type RebuildResult } from './rebuild';
export { ReadSql, type Sql } from './sql';
export { Subscription, type SubscriptionHandler, type SubscriptionOptions, type SubscriptionState } from './subscription';
