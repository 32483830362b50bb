import type { MigrationInterface, QueryRunner } from 'typeorm';

/** read.audit_log: every event of an account, for the admin's audit and user history (async projection). */
export class Audit1764460800000 implements MigrationInterface {
  name = 'Audit1764460800000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE read.audit_log (
        global_position bigint PRIMARY KEY,
        event_id        uuid NOT NULL,
        account_id      uuid NOT NULL,
        user_id         uuid,
        stream_id       text NOT NULL,
        type            text NOT NULL,
        occurred_at     timestamptz NOT NULL,
        actor           jsonb NOT NULL,
        ip              text,
        data            jsonb NOT NULL
      )`);
    await db.query(`CREATE INDEX audit_log_account_idx ON read.audit_log (account_id, global_position DESC)`);
    await db.query(`CREATE INDEX audit_log_user_idx ON read.audit_log (user_id, global_position)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE read.audit_log`);
  }
}
