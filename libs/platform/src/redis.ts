import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@latchkey/config';
import Redis, { type RedisOptions } from 'ioredis';

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

export function createRedis(config: Pick<AppConfig, 'redis'>, logger = new Logger('Redis')): Redis {
  const client = new Redis(config.redis.url, redisOptions(config));
  let reported = false;
  client.on('error', (error) => {
    if (!reported) logger.warn(`Redis unavailable: ${error.message}`);
    reported = true;
  });
  client.on('ready', () => {
    if (reported) logger.log('Redis reachable again');
    reported = false;
  });
  return client;
}

/** Closes the shared Redis connection when the app shuts down. */
@Injectable()
export class RedisLifecycle implements OnApplicationShutdown {
  constructor(@InjectRedis() private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
