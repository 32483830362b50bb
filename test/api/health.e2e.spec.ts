import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createApiApp } from '../../apps/api/src/app';
import { TcpProxy, createTestDatabase, dropDatabase, testConfig } from '@latchkey/testing';

describe('GET /health/ready', () => {
  const postgres = new TcpProxy('127.0.0.1', 5432);
  const redis = new TcpProxy('127.0.0.1', 6379);
  let app: NestFastifyApplication;
  let database: { url: string; name: string };

  beforeAll(async () => {
    await postgres.start();
    await redis.start();
    database = await createTestDatabase('health');
    const viaProxy = new URL(database.url);
    viaProxy.host = `${postgres.address.host}:${postgres.address.port}`;
    ({ app } = await createApiApp(
      testConfig(viaProxy.toString(), 'health', { REDIS_URL: `redis://${redis.address.host}:${redis.address.port}` }),
    ));
    await app.init();
  await app.getHttpAdapter().getInstance().ready();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await postgres.start().catch(() => undefined);
    await redis.start().catch(() => undefined);
    await app.close();
    await postgres.stop();
    await redis.stop();
    await dropDatabase(database.name);
  });

  it('answers 200 when PostgreSQL and Redis both answer', async () => {
    const res = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(res.body).toEqual({ status: 'ok', checks: { postgres: 'up', redis: 'up' } });
  });

  it('answers 503 naming PostgreSQL while it is unreachable, and 200 once it is back', async () => {
    await postgres.cut();
    const res = await request(app.getHttpServer()).get('/health/ready').expect(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: '/problems/unavailable', status: 503, checks: { postgres: 'down', redis: 'up' } });
    // Liveness is about the process, not its dependencies.
    await request(app.getHttpServer()).get('/health/live').expect(200);
    await postgres.start();
    await eventually(async () => (await request(app.getHttpServer()).get('/health/ready')).status === 200);
  });

  it('answers 503 naming Redis while it is unreachable, and 200 once it is back', async () => {
    await redis.cut();
    const res = await request(app.getHttpServer()).get('/health/ready').expect(503);
    expect(res.body).toMatchObject({ type: '/problems/unavailable', checks: { postgres: 'up', redis: 'down' } });
    await redis.start();
    await eventually(async () => (await request(app.getHttpServer()).get('/health/ready')).status === 200);
  });
});

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('did not recover in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
