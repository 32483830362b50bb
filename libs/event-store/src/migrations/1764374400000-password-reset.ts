import type { MigrationInterface, QueryRunner } from 'typeorm';

/** read.reset_tokens: reset and invitation links by token hash (libs/identity password-reset). */
export class PasswordReset1764374400000 implements MigrationInterface {
  name = 'PasswordReset1764374400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE read.reset_tokens (
        token_hash    text PRIMARY KEY,
        reset_id      uuid NOT NULL UNIQUE,
        user_id       uuid NOT NULL,
        account_id    uuid NOT NULL,
        initiated_by  text NOT NULL,
        expires_at    timestamptz NOT NULL,
        created_at    timestamptz NOT NULL,
        used_at       timestamptz,
        superseded_at timestamptz
      )`);
    await db.query(`CREATE INDEX reset_tokens_user_idx ON read.reset_tokens (user_id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE read.reset_tokens`);
  }
}
