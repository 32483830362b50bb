/**
 * The physical limit for bench:login, run as its own process like the API: the least an HTTP
 * request that changes state can cost on this machine — Fastify parses a small JSON body, one
 * PostgreSQL transaction inserts one row (BEGIN; INSERT; COMMIT, durable), a JSON answer.
 * Every refresh or verify does at least this much.
 */
import Fastify from 'fastify';
import { Pool } from 'pg';
import { environmentVariables } from '@latchkey/config';

async function main(): Promise<void> {
  const env = environmentVariables();
  const pool = new Pool({ connectionString: env.REFERENCE_DATABASE_URL, max: 10 });
  await pool.query('CREATE TABLE IF NOT EXISTS bench_reference (id bigserial PRIMARY KEY, data jsonb NOT NULL, at timestamptz NOT NULL DEFAULT now())');
  const app = Fastify({ logger: false });
  app.post('/reference', async (request) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query('INSERT INTO bench_reference (data) VALUES ($1) RETURNING id', [JSON.stringify(request.body)]);
      await client.query('COMMIT');
      return { id: rows[0].id };
    } finally {
      client.release();
    }
  });
  await app.listen({ port: Number(env.REFERENCE_PORT), host: '127.0.0.1' });
  process.on('SIGTERM', () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
}

void main();
