import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BoardAdapter } from '@bull-board/fastify';
import type { AppConfig } from '@latchkey/config';
import { ALL_QUEUES, bullPrefix } from '@latchkey/delivery';
import { RedisErrorReporter } from '@latchkey/platform';
import { timingSafeEqualText } from '@latchkey/security';
import { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Redis from 'ioredis';

export const QUEUE_DASHBOARD_PATH = '/ops/queues';

function authorized(header: string | undefined, expected: { user: string; password: string }): boolean {
  if (!header?.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Both compared in constant time, so the answer's timing says nothing about either.
  const userOk = timingSafeEqualText(decoded.slice(0, colon), expected.user);
  const passwordOk = timingSafeEqualText(decoded.slice(colon + 1), expected.password);
  return userOk && passwordOk;
}

/**
 * Bull Board, the queue dashboard operators expect, at /ops/queues behind HTTP basic auth
 * (QUEUE_DASHBOARD_USER / QUEUE_DASHBOARD_PASSWORD); not mounted at all when they are unset.
 */
export async function mountQueueDashboard(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const credentials = config.queueDashboard;
  if (!credentials) return;
  // Unwatched, BullMQ prints each connection error of each queue as a stack trace while Redis is away.
  const redisErrors = new RedisErrorReporter('queue dashboard', new Logger('Queues'));
  const connection = redisErrors.watchClient(new Redis(config.redis.url, { maxRetriesPerRequest: null, lazyConnect: true }));
  const queues = ALL_QUEUES.map((name) => redisErrors.watch(new Queue(name, { connection, prefix: bullPrefix(config.redis.prefix) })));
  const board = new BoardAdapter();
  board.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter: board });
  await app.register(async (scope: FastifyInstance) => {
    scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (authorized(request.headers.authorization, credentials)) return;
      await reply
        .status(401)
        .headers({ 'www-authenticate': 'Basic realm="latchkey queues", charset="UTF-8"', 'content-type': 'application/problem+json; charset=utf-8' })
        .send(JSON.stringify({ type: '/problems/unauthorized', title: 'Authentication is required', status: 401, traceId: request.id }));
    });
    await scope.register(board.registerPlugin() as never, { prefix: QUEUE_DASHBOARD_PATH });
  });
  app.getHttpAdapter().getInstance().addHook('onClose', async () => {
    await Promise.all(queues.map((queue) => queue.close()));
    connection.disconnect();
  });
}
