import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Device tokens are no longer unique claims (`read.devices.token_hash` is UNIQUE in the same
 * transaction, and the tokens are 256 random bits): the claim rows they left go.
 */
export class DeviceTokenClaims1765152000000 implements MigrationInterface {
  name = 'DeviceTokenClaims1765152000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM unique_claims WHERE scope = 'device_token'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      INSERT INTO unique_claims (scope, value, owner)
      SELECT 'device_token', token_hash, 'device-' || id::text FROM read.devices
      ON CONFLICT (scope, value) DO NOTHING`);
  }
}
