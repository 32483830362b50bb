export { CORRELATION_HEADER, correlationIdOf } from './correlation-id';
export { ReadinessService } from './health/readiness.service';
export {
  DOMAIN_PROBLEMS,
  PROBLEMS,
  ProblemError,
  RequestValidationError,
  type DomainProblemMap,
  type FieldError,
  type Problem,
  type ProblemType,
} from './http/problem';
export { ProblemFilter, sendProblem, toProblem } from './http/problem.filter';
export { createValidationPipe, fieldErrors, MaxUnits, OptionalField, RequiredOneOf, Uuid } from './http/validation';
export { PinoNestLogger, SECRET_FIELDS, createCommandLogger, createLogger, redactUrl, scrubSecrets } from './logging';
export { configureHttpApp, createHttpApp, type HttpApp } from './bootstrap';
export { createHttpAdapter, installHttpHooks } from './http/fastify';
export { MetricsService } from './metrics/metrics.service';
export { PlatformModule, type PlatformOptions } from './platform.module';
export { InjectRedis, REDIS, RedisErrorReporter, createRedis, redisOptions, type RedisErrorSource } from './redis';
export { exitWithStartupError, stopOnSignals } from './lifecycle';
export { API_NODE_FLAGS, apiNodeEnvironment } from './node-flags';
