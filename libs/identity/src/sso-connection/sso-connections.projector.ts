import { Injectable } from '@nestjs/common';
import type { Projection, Sql, StoredEvent } from '@latchkey/event-store';
import { SsoConnectionConfigured, SsoConnectionJoined, SsoConnectionLeft, SsoConnectionRemoved, SsoConnectionUpdated } from './sso-connection.events';

const COLUMN_OF: Record<string, string> = {
  identifier: 'identifier',
  idpEntityId: 'idp_entity_id',
  idpSsoUrl: 'idp_sso_url',
  idpCertificates: 'idp_certificates',
  emailDomains: 'email_domains',
  sharedWithAccountIds: 'shared_with_account_ids',
  autoCreateUsers: 'auto_create_users',
  autoCreateGroups: 'auto_create_groups',
  groupsAttribute: 'groups_attribute',
  emailAttribute: 'email_attribute',
  enforceSso: 'enforce_sso',
  requireOtpOnNewDevice: 'require_otp_on_new_device',
  allowIdpInitiated: 'allow_idp_initiated',
};

/**
 * read.sso_connections and read.sso_connection_accounts (inline: discovery and the ACS read
 * them, and an admin expects a change to apply to the very next login).
 */
@Injectable()
export class SsoConnectionsProjector implements Projection {
  readonly name = 'sso-connections';
  readonly handles = [SsoConnectionConfigured.type, SsoConnectionUpdated.type, SsoConnectionRemoved.type, SsoConnectionJoined.type, SsoConnectionLeft.type];
  readonly tables = ['read.sso_connections', 'read.sso_connection_accounts'];

  async apply(events: readonly StoredEvent[], sql: Sql): Promise<void> {
    for (const event of events) {
      switch (event.type) {
        case SsoConnectionConfigured.type: {
          const d = event.data as SsoConnectionConfigured['data'];
          const columns = Object.values(COLUMN_OF);
          const values = Object.keys(COLUMN_OF).map((key) => (d as Record<string, unknown>)[key]);
          await sql.query(
            `INSERT INTO read.sso_connections (id, account_id, created_at, updated_at, version, ${columns.join(', ')})
             VALUES ($1, $2, $3, $3, $4, ${columns.map((_c, i) => `$${i + 5}`).join(', ')})`,
            [d.connectionId, d.accountId, event.occurredAt, event.version, ...values],
          );
          await sql.query(`INSERT INTO read.sso_connection_accounts (connection_id, account_id, joined_at) VALUES ($1, $2, $3)`, [
            d.connectionId,
            d.accountId,
            event.occurredAt,
          ]);
          break;
        }
        case SsoConnectionUpdated.type: {
          const d = event.data as SsoConnectionUpdated['data'];
          const changed = Object.keys(COLUMN_OF).filter((key) => (d as Record<string, unknown>)[key] !== undefined);
          await sql.query(
            `UPDATE read.sso_connections SET updated_at = $2, version = $3
                    ${changed.map((key, i) => `, ${COLUMN_OF[key]} = $${i + 4}`).join('')}
              WHERE id = $1`,
            [d.connectionId, event.occurredAt, event.version, ...changed.map((key) => (d as Record<string, unknown>)[key])],
          );
          break;
        }
        case SsoConnectionRemoved.type: {
          const d = event.data as SsoConnectionRemoved['data'];
          await sql.query(`DELETE FROM read.sso_connection_accounts WHERE connection_id = $1`, [d.connectionId]);
          await sql.query(`DELETE FROM read.sso_connections WHERE id = $1`, [d.connectionId]);
          break;
        }
        case SsoConnectionJoined.type: {
          const d = event.data as SsoConnectionJoined['data'];
          await sql.query(
            `INSERT INTO read.sso_connection_accounts (connection_id, account_id, joined_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
            [d.connectionId, d.accountId, event.occurredAt],
          );
          break;
        }
        case SsoConnectionLeft.type: {
          const d = event.data as SsoConnectionLeft['data'];
          await sql.query(`DELETE FROM read.sso_connection_accounts WHERE connection_id = $1 AND account_id = $2`, [d.connectionId, d.accountId]);
          break;
        }
      }
    }
  }
}
