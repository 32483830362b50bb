import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a session's user last entered their password again in it (`session.reauthenticated`):
 * with the login's time, what makes the session's login recent. No event of that type exists
 * before this migration, so the column starts empty.
 */
export class SessionReauthentication1765238400000 implements MigrationInterface {
  name = 'SessionReauthentication1765238400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE read.sessions ADD COLUMN reauthenticated_at timestamptz`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE read.sessions DROP COLUMN reauthenticated_at`);
  }
}
