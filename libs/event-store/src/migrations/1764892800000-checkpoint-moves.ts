import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Moves a subscription's checkpoint from the position its runner read to the next one, or fails
 * (LK003) when someone else moved it meanwhile (a rebuild): as a failing statement it can travel
 * with the `COMMIT` in one message, and the server skips the commit (see `Subscription`).
 */
export class CheckpointMoves1764892800000 implements MigrationInterface {
  name = 'CheckpointMoves1764892800000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION latchkey_move_checkpoint(p_name text, p_transaction_id xid8, p_position bigint,
                                               p_from_transaction_id xid8, p_from_position bigint)
      RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE subscriptions SET last_transaction_id = p_transaction_id, last_position = p_position, updated_at = now()
         WHERE name = p_name AND last_transaction_id = p_from_transaction_id AND last_position = p_from_position;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'checkpoint moved by another process' USING ERRCODE = 'LK003', DETAIL = p_name;
        END IF;
      END
      $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION latchkey_move_checkpoint(text, xid8, bigint, xid8, bigint)`);
  }
}
