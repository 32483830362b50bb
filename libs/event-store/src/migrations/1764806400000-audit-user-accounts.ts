import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * read.audit_user_accounts: which account each user belongs to, kept by the audit log's own
 * projection from `user.registered`. The audit used to look that up in read.users, an inline
 * table; an async projection now reads only its own tables, so a rebuild can write it on a
 * connection of its own while the inline tables are rebuilt (see docs/architecture.md).
 * Filled here from read.users, which holds every registered user (a user never changes account).
 */
export class AuditUserAccounts1764806400000 implements MigrationInterface {
  name = 'AuditUserAccounts1764806400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE read.audit_user_accounts (
        user_id    uuid PRIMARY KEY,
        account_id uuid NOT NULL
      )`);
    await db.query(`INSERT INTO read.audit_user_accounts (user_id, account_id) SELECT id, account_id FROM read.users`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE read.audit_user_accounts`);
  }
}
