import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a user first proved their email address — a reset or invitation link used, a code sent
 * to it verified, or a Google or GitHub identity linked by that verified address — so that
 * lookups by email that must stop at a bound (login, forgot-password, Google/GitHub) take proven
 * users first: accounts signed up with somebody else's address cannot crowd out that person's
 * own user. Filled from the events for users from before it, as a rebuild would (codes verified
 * before it cannot count: their events do not say where the code went).
 */
export class EmailProven1765411200000 implements MigrationInterface {
  name = 'EmailProven1765411200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE read.users ADD COLUMN email_proven_at timestamptz`);
    await db.query(`
      UPDATE read.users u SET email_proven_at = p.at
        FROM (SELECT e.stream_id, min(e.occurred_at) AS at
                FROM events e JOIN read.users x ON e.stream_id = 'user-' || x.id
               WHERE (e.type = 'user.password_changed' AND e.data->>'via' IN ('reset', 'invitation'))
                  OR (e.type = 'user.external_identity_linked' AND lower(trim(e.data->>'email')) = x.email_normalized)
               GROUP BY e.stream_id) p
       WHERE p.stream_id = 'user-' || u.id`);
    // Lookups by email read proven users first, then the oldest: in index order, up to their bound.
    await db.query(`CREATE INDEX users_email_proven_idx ON read.users (email_normalized, (email_proven_at IS NULL), created_at)`);
    await db.query(`DROP INDEX read.users_email_idx`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX users_email_idx ON read.users (email_normalized)`);
    await db.query(`DROP INDEX read.users_email_proven_idx`);
    await db.query(`ALTER TABLE read.users DROP COLUMN email_proven_at`);
  }
}
