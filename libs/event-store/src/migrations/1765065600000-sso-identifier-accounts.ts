import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SSO identifiers stay with the account that used them (`sso-identifier-account` claims, see
 * `SSO_IDENTIFIER_ACCOUNT_SCOPE`): the identifiers of today's connections are claimed for their
 * accounts, as a configure would have (identifiers released before this are free, as they were).
 */
export class SsoIdentifierAccounts1765065600000 implements MigrationInterface {
  name = 'SsoIdentifierAccounts1765065600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      INSERT INTO unique_claims (scope, value, owner)
      SELECT 'sso-identifier-account', lower(identifier), 'account-' || account_id::text FROM read.sso_connections
      ON CONFLICT (scope, value) DO NOTHING`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM unique_claims WHERE scope = 'sso-identifier-account'`);
  }
}
