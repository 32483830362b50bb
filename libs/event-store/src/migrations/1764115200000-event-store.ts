import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The append-only event table, unique claims, subscription checkpoints and the read schema. */
export class EventStore1764115200000 implements MigrationInterface {
  name = 'EventStore1764115200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE events (
        global_position bigserial PRIMARY KEY,
        transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
        id              uuid        NOT NULL,
        stream_id       text        NOT NULL,
        stream_type     text        NOT NULL,
        version         integer     NOT NULL CHECK (version > 0),
        type            text        NOT NULL,
        schema_version  integer     NOT NULL DEFAULT 1,
        data            jsonb       NOT NULL,
        metadata        jsonb       NOT NULL,
        occurred_at     timestamptz NOT NULL,
        CONSTRAINT events_stream_version_key UNIQUE (stream_id, version)
      )`);
    // Subscribers read in (transaction_id, global_position) order, below the oldest open transaction.
    await db.query(`CREATE INDEX events_transaction_position_idx ON events (transaction_id, global_position)`);
    // The audit trail must not be rewritten: only inserts are allowed.
    await db.query(`
      CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'events are append-only' USING ERRCODE = 'P0001';
      END $$`);
    await db.query(`
      CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
      FOR EACH ROW EXECUTE FUNCTION events_append_only()`);
    await db.query(`
      CREATE TABLE unique_claims (
        scope      text        NOT NULL,
        value      text        NOT NULL,
        owner      text        NOT NULL,
        claimed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, value)
      )`);
    await db.query(`CREATE INDEX unique_claims_owner_idx ON unique_claims (owner)`);
    await db.query(`
      CREATE TABLE subscriptions (
        name                text        PRIMARY KEY,
        last_transaction_id xid8        NOT NULL DEFAULT '0',
        last_position       bigint      NOT NULL DEFAULT 0,
        updated_at          timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE SCHEMA IF NOT EXISTS read`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP SCHEMA IF EXISTS read CASCADE`);
    await db.query(`DROP TABLE subscriptions`);
    await db.query(`DROP TABLE unique_claims`);
    await db.query(`DROP TABLE events`);
    await db.query(`DROP FUNCTION events_append_only()`);
  }
}
