import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where subscribers may read up to (`EventStore.readAll`, the rebuild's bound): below every
 * transaction that may still commit events into this database. The snapshot's `xmin` alone
 * (what readers used before) counts the open transactions of the whole server, so a long
 * transaction in another database of the same server held back the relay, and with it every
 * code, until it ended. A transaction id in the snapshot's in-progress list is left out only
 * when `pg_stat_activity` shows it as the transaction of a session connected to another
 * database (a session never changes database, and none writes into another's tables); any
 * other — one of this database, one whose session is no longer listed, a prepared transaction
 * — still holds the bound back.
 * The caller's own transaction, if it has an id, holds it back too (as `xmin` did).
 */
export class ReadBound1765324800000 implements MigrationInterface {
  name = 'ReadBound1765324800000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION latchkey_read_bound() RETURNS xid8 LANGUAGE sql STABLE AS $$
        SELECT LEAST(
          pg_snapshot_xmax(pg_current_snapshot()),
          pg_current_xact_id_if_assigned(),
          (SELECT open.xid
             FROM pg_snapshot_xip(pg_current_snapshot()) AS open(xid)
            WHERE NOT EXISTS (
                    SELECT 1
                      FROM pg_stat_activity AS session
                     WHERE session.backend_xid = open.xid::xid
                       AND session.datid IS NOT NULL
                       AND session.datid <> (SELECT oid FROM pg_database WHERE datname = current_database()))
            ORDER BY open.xid
            LIMIT 1))
      $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION latchkey_read_bound()`);
  }
}
