import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Google and GitHub identities linked to users (read model of libs/identity). */
export class ExternalIdentities1764633600000 implements MigrationInterface {
  name = 'ExternalIdentities1764633600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE read.external_identities (
        id         uuid PRIMARY KEY,
        user_id    uuid NOT NULL,
        account_id uuid NOT NULL,
        provider   text NOT NULL,
        subject    text NOT NULL,
        email      text NOT NULL,
        linked_at  timestamptz NOT NULL,
        UNIQUE (provider, subject)
      )`);
    await db.query(`CREATE INDEX external_identities_user_idx ON read.external_identities (user_id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE read.external_identities`);
  }
}
