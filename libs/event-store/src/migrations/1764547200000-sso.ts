import type { MigrationInterface, QueryRunner } from 'typeorm';

/** SAML connections, groups and users' display names (read models of libs/identity). */
export class Sso1764547200000 implements MigrationInterface {
  name = 'Sso1764547200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE read.users ADD COLUMN name text`);
    // Whether an account enforces SSO is now read from its connections.
    await db.query(`ALTER TABLE read.accounts DROP COLUMN enforce_sso`);
    await db.query(`
      CREATE TABLE read.sso_connections (
        id                        uuid PRIMARY KEY,
        account_id                uuid NOT NULL,
        identifier                text NOT NULL UNIQUE,
        idp_entity_id             text NOT NULL,
        idp_sso_url               text NOT NULL,
        idp_certificates          text[] NOT NULL,
        email_domains             text[] NOT NULL,
        shared_with_account_ids   uuid[] NOT NULL,
        auto_create_users         boolean NOT NULL,
        auto_create_groups        boolean NOT NULL,
        groups_attribute          text NOT NULL,
        email_attribute           text NOT NULL,
        enforce_sso               boolean NOT NULL,
        require_otp_on_new_device boolean NOT NULL,
        allow_idp_initiated       boolean NOT NULL,
        created_at                timestamptz NOT NULL,
        updated_at                timestamptz NOT NULL,
        version                   integer NOT NULL
      )`);
    await db.query(`CREATE INDEX sso_connections_account_idx ON read.sso_connections (account_id)`);
    await db.query(`CREATE INDEX sso_connections_domains_idx ON read.sso_connections USING gin (email_domains)`);
    // Accounts a connection serves: its own, and each account it is shared with once that
    // account's admin joined it.
    await db.query(`
      CREATE TABLE read.sso_connection_accounts (
        connection_id uuid NOT NULL,
        account_id    uuid NOT NULL,
        joined_at     timestamptz NOT NULL,
        PRIMARY KEY (connection_id, account_id)
      )`);
    await db.query(`CREATE INDEX sso_connection_accounts_account_idx ON read.sso_connection_accounts (account_id)`);
    await db.query(`
      CREATE TABLE read.groups (
        id              uuid PRIMARY KEY,
        account_id      uuid NOT NULL,
        name            text NOT NULL,
        name_normalized text NOT NULL,
        source          text NOT NULL,
        created_at      timestamptz NOT NULL,
        UNIQUE (account_id, name_normalized)
      )`);
    await db.query(`
      CREATE TABLE read.group_members (
        group_id      uuid NOT NULL,
        user_id       uuid NOT NULL,
        -- The connection whose IdP put the user in the group: each connection syncs only its own.
        connection_id uuid NOT NULL,
        PRIMARY KEY (group_id, user_id, connection_id)
      )`);
    await db.query(`CREATE INDEX group_members_user_idx ON read.group_members (user_id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE read.group_members`);
    await db.query(`DROP TABLE read.groups`);
    await db.query(`DROP TABLE read.sso_connection_accounts`);
    await db.query(`DROP TABLE read.sso_connections`);
    await db.query(`ALTER TABLE read.users DROP COLUMN name`);
    await db.query(`ALTER TABLE read.accounts ADD COLUMN enforce_sso boolean NOT NULL DEFAULT false`);
  }
}
