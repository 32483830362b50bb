import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sessions started on a user's state that a later change ended (a new password, disabled, web
 * access removed) are not valid, even when the login committed after that change's revocations:
 * `read.users.sessions_ended_version` is the version of the user's last such event, and
 * `read.sessions.user_version` the user's version the login decided on (NULL for sessions
 * started before this column: those were revoked explicitly by the changes they preceded).
 */
export class SessionValidity1764979200000 implements MigrationInterface {
  name = 'SessionValidity1764979200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE read.users ADD COLUMN sessions_ended_version integer NOT NULL DEFAULT 0`);
    await db.query(`ALTER TABLE read.sessions ADD COLUMN user_version integer`);
    // What the users projection would have written from the events already there (as a rebuild does).
    await db.query(`
      UPDATE read.users u SET sessions_ended_version = ended.version
        FROM (SELECT stream_id, max(version) AS version FROM events
               WHERE stream_type = 'user'
                 AND (type = 'user.password_changed'
                      OR (type = 'user.access_changed' AND (data->>'enabled' = 'false' OR data->>'webAccess' = 'false')))
               GROUP BY stream_id) ended
       WHERE ended.stream_id = 'user-' || u.id::text`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE read.sessions DROP COLUMN user_version`);
    await db.query(`ALTER TABLE read.users DROP COLUMN sessions_ended_version`);
  }
}
