import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Read models of libs/identity (schema read), kept by its inline projections. */
export class Identity1764288000000 implements MigrationInterface {
  name = 'Identity1764288000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE read.accounts (
        id          uuid PRIMARY KEY,
        name        text NOT NULL,
        enforce_sso boolean NOT NULL DEFAULT false,
        created_at  timestamptz NOT NULL,
        version     integer NOT NULL
      )`);
    await db.query(`
      CREATE TABLE read.users (
        id                  uuid PRIMARY KEY,
        account_id          uuid NOT NULL,
        email               text NOT NULL,
        email_normalized    text NOT NULL,
        username            text NOT NULL,
        username_normalized text NOT NULL UNIQUE,
        phone               text,
        locale              text NOT NULL,
        roles               text[] NOT NULL,
        web_access          boolean NOT NULL,
        two_factor_channel  text NOT NULL,
        enabled             boolean NOT NULL DEFAULT true,
        source              text NOT NULL,
        password_hash       text,
        password_changed_at timestamptz,
        locked_until        timestamptz,
        created_at          timestamptz NOT NULL,
        updated_at          timestamptz NOT NULL,
        version             integer NOT NULL,
        UNIQUE (account_id, email_normalized)
      )`);
    await db.query(`CREATE INDEX users_email_idx ON read.users (email_normalized)`);
    await db.query(`
      CREATE TABLE read.devices (
        id            uuid PRIMARY KEY,
        user_id       uuid NOT NULL,
        account_id    uuid NOT NULL,
        token_hash    text NOT NULL UNIQUE,
        name          text,
        user_agent    text,
        ip            text,
        authorized_at timestamptz NOT NULL,
        last_used_at  timestamptz,
        expires_at    timestamptz NOT NULL,
        revoked_at    timestamptz,
        revoke_reason text
      )`);
    await db.query(`CREATE INDEX devices_user_idx ON read.devices (user_id)`);
    await db.query(`
      CREATE TABLE read.sessions (
        id                 uuid PRIMARY KEY,
        user_id            uuid NOT NULL,
        account_id         uuid NOT NULL,
        device_id          uuid,
        method             text NOT NULL,
        refresh_token_hash text NOT NULL,
        expires_at         timestamptz NOT NULL,
        started_at         timestamptz NOT NULL,
        refreshed_at       timestamptz,
        revoked_at         timestamptz,
        revoke_reason      text,
        version            integer NOT NULL
      )`);
    await db.query(`CREATE INDEX sessions_user_idx ON read.sessions (user_id)`);
    // Every refresh token a session ever had, so a spent one is recognised (and kills its session).
    await db.query(`
      CREATE TABLE read.refresh_tokens (
        token_hash text PRIMARY KEY,
        session_id uuid NOT NULL,
        issued_at  timestamptz NOT NULL
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE read.refresh_tokens, read.sessions, read.devices, read.users, read.accounts`);
  }
}
