import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A check that fails the statement it is in: appends sent as one message (events, claims and
 * projections together) cannot look at a result half-way, so a stream found at another version
 * or a claim owned by someone else has to abort the transaction on the server.
 */
export class OneRoundTripAppends1764720000000 implements MigrationInterface {
  name = 'OneRoundTripAppends1764720000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION latchkey_expect(ok boolean, errcode text, detail text) RETURNS void
      LANGUAGE plpgsql AS $$
      BEGIN
        IF ok IS NOT TRUE THEN
          RAISE EXCEPTION 'latchkey: expectation failed' USING ERRCODE = errcode, DETAIL = detail;
        END IF;
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION latchkey_expect(boolean, text, text)`);
  }
}
