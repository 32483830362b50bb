import { Global, Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { AggregateRepository } from './aggregate-repository';
import { AsyncProjectionRunner } from './async-projection-runner';
import { BackgroundWork } from './background-work';
import { Clock, IdGenerator, RandomIdGenerator, SystemClock } from './clock';
import type { EventClass } from './event';
import { EventStore } from './event-store';
import { EventTypeRegistry } from './event-type-registry';
import { MetadataContext } from './metadata-context';
import { ProjectionRegistry, type Projection } from './projection';
import { ProjectionRebuilder } from './rebuild';
import { DataSourceSql } from './database/transaction';
import { ReadSql } from './sql';
import { DataSource } from 'typeorm';

const CORE: Provider[] = [
  EventStore,
  EventTypeRegistry,
  ProjectionRegistry,
  AggregateRepository,
  ProjectionRebuilder,
  AsyncProjectionRunner,
  MetadataContext,
  BackgroundWork,
  { provide: Clock, useClass: SystemClock },
  { provide: IdGenerator, useClass: RandomIdGenerator },
  { provide: ReadSql, useFactory: (dataSource: DataSource) => new DataSourceSql(dataSource), inject: [DataSource] },
];

export interface EventStoreFeature {
  events?: readonly EventClass[];
  inlineProjections?: readonly Type<Projection>[];
  asyncProjections?: readonly Type<Projection>[];
}

let featureCount = 0;

/**
 * The event store for the whole app (`forRoot`, needs TypeORM's DataSource, nestjs-cls and
 * the CQRS EventBus), and per feature module the events and projections it contributes.
 */
@Global()
@Module({})
export class EventStoreModule {
  static forRoot(): DynamicModule {
    return { module: EventStoreModule, providers: CORE, exports: CORE };
  }

  static forFeature(feature: EventStoreFeature): DynamicModule {
    const inline = feature.inlineProjections ?? [];
    const asyncs = feature.asyncProjections ?? [];
    const registration: Provider = {
      provide: `latchkey.event-store.feature.${featureCount++}`,
      inject: [EventTypeRegistry, ProjectionRegistry, ...inline, ...asyncs],
      useFactory: (types: EventTypeRegistry, projections: ProjectionRegistry, ...instances: Projection[]) => {
        types.register(feature.events ?? []);
        instances.slice(0, inline.length).forEach((p) => projections.registerInline(p));
        instances.slice(inline.length).forEach((p) => projections.registerAsync(p));
        return true;
      },
    };
    return {
      module: class EventStoreFeatureModule {},
      providers: [...inline, ...asyncs, registration],
      exports: [...inline, ...asyncs],
    };
  }
}
