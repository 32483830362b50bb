import { Logger } from '@nestjs/common';
import type { AppConfig, EncryptionKey } from '@latchkey/config';
import { DataSourceSql } from '@latchkey/event-store';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';

/** Injection token of the keyring `SecretBox` seals with: the first key seals, all open. */
export const ENCRYPTION_KEYRING = Symbol('latchkey.security.keyring');

/** The row of `security_settings` that holds the generated development key. */
export const DEVELOPMENT_KEY_SETTING = 'development_encryption_key';
/** Key id of the generated development key; list it as `dev:<key>` in ENCRYPTION_KEYS to keep reading old secrets. */
export const DEVELOPMENT_KID = 'dev';

export const DEVELOPMENT_KEY_WARNING =
  'ENCRYPTION_KEYS is not set: secrets are sealed with a development key generated once and kept in the database ' +
  `(table security_settings, key id "${DEVELOPMENT_KID}"). ENCRYPTION_KEYS must be set in production.`;

/**
 * The keyring: ENCRYPTION_KEYS when configured; otherwise (development and tests only, the
 * configuration refuses production without it) a key generated once per database. Processes
 * that start together race to insert their candidate; `ON CONFLICT DO NOTHING` keeps the
 * first, and every process then reads that one back.
 */
export async function loadKeyring(
  config: Pick<AppConfig, 'encryptionKeys' | 'env'>,
  dataSource: DataSource,
  logger: Pick<Logger, 'warn'> = new Logger('SecretBox'),
): Promise<EncryptionKey[]> {
  if (config.encryptionKeys !== undefined) return [...config.encryptionKeys];
  if (config.env === 'production') throw new Error('ENCRYPTION_KEYS is required in production');
  const sql = new DataSourceSql(dataSource);
  await sql.query(`INSERT INTO security_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [
    DEVELOPMENT_KEY_SETTING,
    randomBytes(32).toString('base64'),
  ]);
  const [row] = await sql.query<{ value: string }>(`SELECT value FROM security_settings WHERE name = $1`, [DEVELOPMENT_KEY_SETTING]);
  const key = Buffer.from(row?.value ?? '', 'base64');
  if (key.length !== 32) throw new Error(`security_settings.${DEVELOPMENT_KEY_SETTING} is not a 32-byte base64 key`);
  logger.warn(DEVELOPMENT_KEY_WARNING);
  return [{ kid: DEVELOPMENT_KID, key }];
}
