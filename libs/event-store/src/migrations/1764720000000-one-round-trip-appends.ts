import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Server-side pieces of appends sent as one message (events, claims and projections together):
 * the client cannot look at a result half-way, so a stream found at another version or a claim
 * owned by someone else must abort the transaction on the server. As PL/pgSQL functions their
 * statements are also planned once per connection, where a statement sent as text is planned on
 * every append.
 */
export class OneRoundTripAppends1764720000000 implements MigrationInterface {
  name = 'OneRoundTripAppends1764720000000';

  async up(db: QueryRunner): Promise<void> {
    // Appends events to one stream at an expected version; LK001 when the stream is elsewhere.
    // Two writers that both pass the check collide on (stream_id, version) instead.
    await db.query(`
      CREATE FUNCTION latchkey_append(p_stream_id text, p_stream_type text, p_expected integer, p_metadata jsonb,
                                      p_occurred_at timestamptz, p_ids uuid[], p_types text[], p_schema_versions integer[],
                                      p_data jsonb[])
      RETURNS SETOF events LANGUAGE plpgsql AS $$
      DECLARE
        current_version integer;
      BEGIN
        SELECT coalesce(max(version), 0) INTO current_version FROM events WHERE stream_id = p_stream_id;
        IF current_version <> p_expected THEN
          RAISE EXCEPTION 'stream is not at the expected version' USING ERRCODE = 'LK001', DETAIL = p_stream_id;
        END IF;
        RETURN QUERY
          INSERT INTO events (id, stream_id, stream_type, version, type, schema_version, data, metadata, occurred_at)
          SELECT x.id, p_stream_id, p_stream_type, p_expected + x.ord::integer, x.type, x.schema_version, x.data, p_metadata, p_occurred_at
            FROM unnest(p_ids, p_types, p_schema_versions, p_data) WITH ORDINALITY AS x(id, type, schema_version, data, ord)
          RETURNING *;
      END $$`);
    // Takes a unique value for an owner (the owner may take its own value again); LK002 when another owns it.
    // A concurrent claimer waits for the first transaction; if that commits, the value is taken.
    await db.query(`
      CREATE FUNCTION latchkey_claim(p_scope text, p_value text, p_owner text) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO unique_claims (scope, value, owner) VALUES (p_scope, p_value, p_owner)
        ON CONFLICT (scope, value) DO UPDATE SET owner = EXCLUDED.owner WHERE unique_claims.owner = EXCLUDED.owner;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'value already taken' USING ERRCODE = 'LK002', DETAIL = p_scope;
        END IF;
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION latchkey_claim(text, text, text)`);
    await db.query(`DROP FUNCTION latchkey_append(text, text, integer, jsonb, timestamptz, uuid[], text[], integer[], jsonb[])`);
  }
}
