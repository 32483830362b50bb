import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a session's user last proved themselves for it (`RecentLogin`): its login, a later
 * reauthentication (`session.reauthenticated`), or for a session that continues another (a
 * password change) the other's. Empty for sessions from before it: their login's time,
 * `started_at`, is that moment (no event that moves it existed before this migration).
 */
export class SessionReauthentication1765238400000 implements MigrationInterface {
  name = 'SessionReauthentication1765238400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE read.sessions ADD COLUMN authenticated_at timestamptz`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE read.sessions DROP COLUMN authenticated_at`);
  }
}
