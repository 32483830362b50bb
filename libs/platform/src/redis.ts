import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@latchkey/config';
import Redis, { type RedisOptions } from 'ioredis';
import { isDependencyOutage } from './http/dependency-outage';

export const REDIS = Symbol('latchkey.redis');
export const InjectRedis = () => Inject(REDIS);

/** Options for the app's own Redis connection (rate limits, flow state, SAML request ids). */
export function redisOptions(config: Pick<AppConfig, 'redis'>): RedisOptions {
  return {
    keyPrefix: config.redis.prefix,
    // A command fails after one reconnection attempt instead of waiting forever: an auth
    // request should get an error it can report, not hang while Redis is away.
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    // Commands issued together (a login's two rate-limit checks, say) leave in one write: on a
    // small virtual machine a socket write costs more CPU than the command it carries.
    enableAutoPipelining: true,
  };
}

/** The app's own connection; its errors are logged as the queues' are (`RedisErrorReporter`). */
export function createRedis(config: Pick<AppConfig, 'redis'>, logger = new Logger('Redis')): Redis {
  return new RedisErrorReporter('rate limits and flow state', logger).watchClient(new Redis(config.redis.url, redisOptions(config)));
}

/** Anything that emits a Redis connection's errors: an ioredis client, a BullMQ queue or worker. */
export interface RedisErrorSource {
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Logs the errors of Redis connections that a library opens and retries by itself (BullMQ's
 * queues and workers, each with connections of its own). Unwatched, ioredis prints an error event
 * as a multi-line stack trace on stderr and BullMQ repeats it for every queue and worker: about
 * twenty a second while Redis is down. Here each becomes a JSON warning through the app's logger,
 * at most one line per kind of error (its message) every `intervalMs` for all the connections
 * watched together, and one line when a watched client is ready again.
 */
export class RedisErrorReporter {
  private readonly lastReported = new Map<string, number>();

  constructor(
    /** What the connections serve, for the log line ("delivery queues"). */
    private readonly what: string,
    private readonly logger: Pick<Logger, 'warn' | 'log'> = new Logger('Redis'),
    readonly intervalMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reports `source`'s errors (which also keeps ioredis and BullMQ from printing them). */
  watch<T extends RedisErrorSource>(source: T): T {
    source.on('error', (error) => this.report(error));
    return source;
  }

  /** Watches an ioredis client, and says when it is ready again after an error was reported. */
  watchClient(client: Redis): Redis {
    this.watch(client);
    client.on('ready', () => {
      if (this.lastReported.size === 0) return;
      this.lastReported.clear();
      this.logger.log(`${this.what}: Redis reachable again`);
    });
    return client;
  }

  report(error: Error): void {
    const message = error?.message ?? String(error);
    const now = this.now();
    const last = this.lastReported.get(message);
    if (last !== undefined && now - last < this.intervalMs) return;
    if (this.lastReported.size >= 100) this.lastReported.clear(); // messages with ever-changing details
    this.lastReported.set(message, now);
    const seconds = Math.round(this.intervalMs / 1000);
    this.logger.warn(
      isDependencyOutage(error)
        ? `${this.what}: Redis unreachable (${message}); retrying until it answers (repeated at most every ${seconds} s)`
        : `${this.what}: Redis error (${message}) (repeated at most every ${seconds} s)`,
    );
  }
}

/** Closes the shared Redis connection when the app shuts down. */
@Injectable()
export class RedisLifecycle implements OnApplicationShutdown {
  constructor(@InjectRedis() private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
