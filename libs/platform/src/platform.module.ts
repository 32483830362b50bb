import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig, ConfigModule } from '@latchkey/config';
import { CONTEXT_KEYS, EventStoreModule, dataSourceOptions } from '@latchkey/event-store';
import type { FastifyRequest } from 'fastify';
import { ClsModule } from 'nestjs-cls';
import { HealthController } from './health/health.controller';
import { ReadinessService } from './health/readiness.service';
import { DOMAIN_PROBLEMS, type DomainProblemMap } from './http/problem';
import { ProblemFilter } from './http/problem.filter';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { REDIS, RedisLifecycle, createRedis } from './redis';

export interface PlatformOptions {
  app: 'api' | 'worker';
  /** Domain error code → problem type, for the error filter. */
  problems?: DomainProblemMap;
}

/**
 * What both processes share: configuration, logging with redaction, request context,
 * PostgreSQL (TypeORM) and the event store, the CQRS buses, Redis, health and metrics,
 * and the problem+json error filter.
 */
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig, options: PlatformOptions): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      imports: [
        ConfigModule.forRoot(config),
        // The request context starts in a global guard (no middleware layer on the hot path):
        // guards run before everything that appends events, including the auth guard that sets the actor.
        // latchkey has no CLS proxy providers and no CLS plugins: resolving them would cost a
        // dynamic import and two plugin-hook awaits on every request.
        withoutGlobalInterceptor(ClsModule.forRoot({
          global: true,
          guard: {
            mount: true,
            resolveProxyProviders: false,
            initializePlugins: false,
            generateId: true,
            idGenerator: (context) => context.switchToHttp().getRequest<FastifyRequest>().id,
            setup: (cls, context) => {
              const request = context.switchToHttp().getRequest<FastifyRequest>();
              cls.set(CONTEXT_KEYS.correlationId, request.id);
              cls.set(CONTEXT_KEYS.ip, request.ip);
              cls.set(CONTEXT_KEYS.userAgent, request.headers['user-agent']?.slice(0, 512));
            },
          },
        })),
        TypeOrmModule.forRoot({ ...dataSourceOptions(config, `latchkey-${options.app}`, true), migrationsRun: false }),
        CqrsModule.forRoot(),
        EventStoreModule.forRoot(),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: REDIS, useFactory: (c: AppConfig) => createRedis(c), inject: [AppConfig] },
        RedisLifecycle,
        ReadinessService,
        MetricsService,
        { provide: DOMAIN_PROBLEMS, useValue: options.problems ?? {} },
        { provide: APP_FILTER, useClass: ProblemFilter },
      ],
      exports: [REDIS, MetricsService, ReadinessService],
    };
  }
}

/**
 * nestjs-cls registers a global interceptor even when it is not mounted (then it passes every call
 * through). Any global interceptor makes Nest run every handler through its interceptor chain —
 * an rxjs pipeline and Node's `AsyncResource.bind` per call, a few percent of the API's CPU per
 * token refresh in the login benchmark's profile. latchkey has no interceptor of its own and starts
 * the request context in the guard, so the pass-through is left out and Nest calls handlers directly.
 */
function withoutGlobalInterceptor(module: DynamicModule): DynamicModule {
  const isInterceptor = (provider: unknown) => typeof provider === 'object' && provider !== null && (provider as { provide?: unknown }).provide === APP_INTERCEPTOR;
  // `ClsModule.forRoot` returns a module importing the root module that holds the providers.
  const isDynamic = (imported: unknown): imported is DynamicModule => typeof imported === 'object' && imported !== null && 'module' in imported;
  return {
    ...module,
    providers: module.providers?.filter((provider) => !isInterceptor(provider)),
    imports: module.imports?.map((imported) => (isDynamic(imported) ? withoutGlobalInterceptor(imported) : imported)),
  };
}
