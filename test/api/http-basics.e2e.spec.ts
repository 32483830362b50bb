import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { IsEmail, IsInt, IsString, Max, Min, MinLength } from 'class-validator';
import { EventStore, EventStoreModule } from '@latchkey/event-store';
import request from 'supertest';
import { createApiApp } from '../../apps/api/src/app';
import { CounterOpened, SAMPLE_EVENTS, createTestDatabase, dropDatabase, testConfig } from '@latchkey/testing';

class ProbeDto {
  @IsEmail()
  email!: string;

  @IsString()
  @MinLength(3)
  name!: string;

  @IsInt()
  @Min(1)
  @Max(10)
  count!: number;
}

/** Routes that exist only in this test, to see the platform's behaviour around real handlers. */
@Controller('probe')
class ProbeController {
  constructor(private readonly store: EventStore) {}

  @Post('echo')
  echo(@Body() body: ProbeDto): ProbeDto {
    return body;
  }

  @Post('open')
  async open(@Body() body: { name: string }): Promise<{ streamId: string }> {
    await this.store.append(`counter-http-${body.name}`, 0, [new CounterOpened({ name: body.name })]);
    return { streamId: `counter-http-${body.name}` };
  }

  @Get('crash')
  crash(): never {
    throw new Error('database password is hunter2 at /srv/app.ts:12');
  }
}

@Module({ imports: [EventStoreModule.forFeature({ events: SAMPLE_EVENTS })], controllers: [ProbeController] })
class ProbeModule {}

let app: NestFastifyApplication;
let database: { url: string; name: string };

beforeAll(async () => {
  database = await createTestDatabase('http');
  ({ app } = await createApiApp(testConfig(database.url, 'http', { BODY_LIMIT_BYTES: '2048' }), [ProbeModule]));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
});

afterAll(async () => {
  await app.close();
  await dropDatabase(database.name);
});

function expectProblem(res: request.Response, status: number, type: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type, status, title: expect.any(String) });
  expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+/); // no stack trace
}

describe('errors are problem+json', () => {
  it('answers an unknown route with 404 /problems/not-found', async () => {
    expectProblem(await request(app.getHttpServer()).get('/no/such/route'), 404, '/problems/not-found');
  });

  it('lists every invalid field in a 400 /problems/validation', async () => {
    const res = await request(app.getHttpServer()).post('/probe/echo').send({ email: 'nope', name: 'x', count: 99 });
    expectProblem(res, 400, '/problems/validation');
    const fields = (res.body.errors as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(['count', 'email', 'name']);
  });

  it('accepts a valid body and strips fields it does not know', async () => {
    const res = await request(app.getHttpServer())
      .post('/probe/echo')
      .send({ email: 'ana@example.com', name: 'Ana', count: 3, admin: true })
      .expect(201);
    expect(res.body).toEqual({ email: 'ana@example.com', name: 'Ana', count: 3 });
  });

  it('answers a body that is not JSON with 400 /problems/validation', async () => {
    const res = await request(app.getHttpServer()).post('/probe/echo').set('Content-Type', 'application/json').send('{"email": ');
    expectProblem(res, 400, '/problems/validation');
    expect(res.body.errors).toEqual([{ field: '(body)', message: 'must be valid JSON' }]);
  });

  it('takes a JSON content type with no body as no body: the missing fields are listed, a body-less endpoint just works', async () => {
    const res = await request(app.getHttpServer()).post('/probe/echo').set('Content-Type', 'application/json').send('');
    expectProblem(res, 400, '/problems/validation');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('email');
  });

  it('says what is wrong with a body that is not UTF-8, or that carries prototype keys', async () => {
    const bytes = Buffer.from('{"email":"\xff\xfe"}', 'latin1');
    const latin1 = await request(app.getHttpServer()).post('/probe/echo').set('Content-Type', 'application/json').serialize(() => bytes as never).send({});
    expectProblem(latin1, 400, '/problems/validation');
    expect(latin1.body.errors).toEqual([{ field: '(body)', message: 'must be UTF-8 text' }]);
    const poisoned = await request(app.getHttpServer()).post('/probe/echo').set('Content-Type', 'application/json').send('{"email":"a@b.c","__proto__":{"admin":true}}');
    expectProblem(poisoned, 400, '/problems/validation');
    expect(poisoned.body.errors).toEqual([{ field: '(body)', message: 'must not contain "__proto__" or "constructor.prototype" keys' }]);
    // UTF-8 beyond ASCII is of course fine.
    await request(app.getHttpServer()).post('/probe/echo').send({ email: 'ana@example.com', name: 'Ána 😀', count: 1 }).expect(201);
  });

  it('answers a body with a content coding (gzip) with 415, not as garbage JSON', async () => {
    const res = await request(app.getHttpServer()).post('/probe/echo').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send('{"email":"a@b.c"}');
    expectProblem(res, 415, '/problems/unsupported-media-type');
    await request(app.getHttpServer()).post('/probe/echo').set('Content-Encoding', 'identity').send({ email: 'ana@example.com', name: 'Ana', count: 1 }).expect(201);
  });

  it('answers a JSON array body with 400 /problems/validation', async () => {
    expectProblem(await request(app.getHttpServer()).post('/probe/echo').send([1, 2]), 400, '/problems/validation');
  });

  it('answers another content type with 415 /problems/unsupported-media-type', async () => {
    const res = await request(app.getHttpServer()).post('/probe/echo').set('Content-Type', 'text/plain').send('email=a');
    expectProblem(res, 415, '/problems/unsupported-media-type');
    const form = await request(app.getHttpServer()).post('/probe/echo').type('form').send({ email: 'a@b.c' });
    expectProblem(form, 415, '/problems/unsupported-media-type');
  });

  it('answers a body over the limit with 413 /problems/payload-too-large', async () => {
    const res = await request(app.getHttpServer())
      .post('/probe/echo')
      .send({ email: 'a@example.com', name: 'x'.repeat(4000), count: 1 });
    expectProblem(res, 413, '/problems/payload-too-large');
  });

  it('answers an unexpected failure with a bare 500: no message, no stack', async () => {
    const res = await request(app.getHttpServer()).get('/probe/crash');
    expectProblem(res, 500, '/problems/internal');
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
    expect(Object.keys(res.body).sort()).toEqual(['status', 'title', 'traceId', 'type']);
  });

  it('gives equal errors equal bodies apart from the trace id', async () => {
    const a = await request(app.getHttpServer()).get('/missing');
    const b = await request(app.getHttpServer()).get('/missing');
    const { traceId: ta, ...restA } = a.body;
    const { traceId: tb, ...restB } = b.body;
    expect(restA).toEqual(restB);
    expect(ta).not.toEqual(tb);
  });
});

describe('request context', () => {
  it('carries the caller correlation id, ip and user agent into event metadata and the response', async () => {
    const res = await request(app.getHttpServer())
      .post('/probe/open')
      .set('X-Correlation-Id', 'trace-abc-123')
      .set('User-Agent', 'probe-agent/1.0')
      .send({ name: 'ctx' })
      .expect(201);
    expect(res.headers['x-correlation-id']).toBe('trace-abc-123');
    const [event] = await app.get(EventStore).readStream(res.body.streamId);
    expect(event.metadata).toMatchObject({
      correlationId: 'trace-abc-123',
      actor: { type: 'anonymous', id: null },
      userAgent: 'probe-agent/1.0',
      ip: expect.stringMatching(/127\.0\.0\.1/),
    });
  });

  it('makes up a correlation id when the caller sends none or a malformed one', async () => {
    const res = await request(app.getHttpServer()).get('/missing').set('X-Correlation-Id', 'bad id with spaces');
    expect(res.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.traceId).toBe(res.headers['x-correlation-id']);
  });
});

describe('operations endpoints', () => {
  it('serves Prometheus metrics, including request timings by route', async () => {
    await request(app.getHttpServer()).get('/health/live').expect(200);
    const res = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/latchkey_http_request_duration_seconds_count\{method="GET",route="\/health\/live",status="200"\} \d+/);
    expect(res.text).toContain('latchkey_process_cpu_seconds_total');
  });

  it('counts no domain events on the public metrics (they would tell outsiders which logins exist)', async () => {
    const before = await request(app.getHttpServer()).get('/metrics').expect(200);
    await request(app.getHttpServer()).post('/probe/open').send({ name: 'metrics' }).expect(201);
    const res = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(res.text).not.toContain('sample.counter_opened');
    // Only request timings and process figures moved: every latchkey_ series that changed is one of those.
    const series = (text: string) => new Map(text.split('\n').filter((l) => l.startsWith('latchkey_')).map((l) => [l.slice(0, l.lastIndexOf(' ')), l.slice(l.lastIndexOf(' ') + 1)]));
    const was = series(before.text);
    const moved = [...series(res.text)].filter(([name, value]) => was.get(name) !== value).map(([name]) => name);
    expect(moved.filter((name) => !/^latchkey_(http_request_duration_seconds|process_|nodejs_)/.test(name))).toEqual([]);
  });

  it('serves the OpenAPI document and its UI', async () => {
    const json = await request(app.getHttpServer()).get('/docs-json').expect(200);
    expect(json.body.openapi).toMatch(/^3\./);
    expect(Object.keys(json.body.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
    const ui = await request(app.getHttpServer()).get('/docs').expect(200);
    expect(ui.text).toContain('swagger-ui');
  });
});
