import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables of libs/security (development keyring, JWT signing keys). */
export class Security1764201600000 implements MigrationInterface {
  name = 'Security1764201600000';

  async up(db: QueryRunner): Promise<void> {
    // Process-wide settings that must be the same for every process, e.g. the development
    // encryption key generated when ENCRYPTION_KEYS is unset (never used in production).
    await db.query(`
      CREATE TABLE security_settings (
        name       text        PRIMARY KEY,
        value      text        NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Ed25519 keys for access tokens. kid is the RFC 7638 thumbprint of the public key;
    // private_key is the PKCS#8 PEM sealed by SecretBox (never stored in clear).
    await db.query(`
      CREATE TABLE signing_keys (
        kid          text        PRIMARY KEY,
        algorithm    text        NOT NULL,
        public_jwk   jsonb       NOT NULL,
        private_key  text        NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        activated_at timestamptz,
        retired_at   timestamptz,
        CONSTRAINT signing_keys_retired_after_active CHECK (retired_at IS NULL OR activated_at IS NOT NULL)
      )`);
    // At most one key signs at a time, whatever processes race to create or rotate.
    await db.query(`
      CREATE UNIQUE INDEX signing_keys_one_active_idx ON signing_keys ((true))
      WHERE activated_at IS NOT NULL AND retired_at IS NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE signing_keys`);
    await db.query(`DROP TABLE security_settings`);
  }
}
