import { Injectable } from '@nestjs/common';
import { ReadSql, type Sql } from '@latchkey/event-store';
import { normalizeLogin } from '../../shared/contact';

export interface SsoConnectionRow {
  id: string;
  accountId: string;
  identifier: string;
  idpEntityId: string;
  idpSsoUrl: string;
  idpCertificates: string[];
  emailDomains: string[];
  sharedWithAccountIds: string[];
  /** Accounts the connection serves: its own and those that joined. */
  servedAccountIds: string[];
  autoCreateUsers: boolean;
  autoCreateGroups: boolean;
  groupsAttribute: string;
  emailAttribute: string;
  enforceSso: boolean;
  requireOtpOnNewDevice: boolean;
  allowIdpInitiated: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `c.id, c.account_id AS "accountId", c.identifier, c.idp_entity_id AS "idpEntityId", c.idp_sso_url AS "idpSsoUrl",
  c.idp_certificates AS "idpCertificates", c.email_domains AS "emailDomains", c.shared_with_account_ids AS "sharedWithAccountIds",
  ARRAY(SELECT a.account_id FROM read.sso_connection_accounts a WHERE a.connection_id = c.id ORDER BY a.joined_at) AS "servedAccountIds",
  c.auto_create_users AS "autoCreateUsers", c.auto_create_groups AS "autoCreateGroups", c.groups_attribute AS "groupsAttribute",
  c.email_attribute AS "emailAttribute", c.enforce_sso AS "enforceSso", c.require_otp_on_new_device AS "requireOtpOnNewDevice",
  c.allow_idp_initiated AS "allowIdpInitiated", c.created_at AS "createdAt", c.updated_at AS "updatedAt"`;

/** Reads of SAML connections: by id, by SP identifier, an account's own and offered ones, discovery. */
@Injectable()
export class SsoConnectionQueries {
  constructor(private readonly db: ReadSql) {}

  async byId(id: string, sql: Sql = this.db): Promise<SsoConnectionRow | undefined> {
    const [row] = await sql.query<SsoConnectionRow>(`SELECT ${COLUMNS} FROM read.sso_connections c WHERE c.id = $1`, [id]);
    return row;
  }

  async byIdentifier(identifier: string): Promise<SsoConnectionRow | undefined> {
    const [row] = await this.db.query<SsoConnectionRow>(`SELECT ${COLUMNS} FROM read.sso_connections c WHERE lower(c.identifier) = lower($1)`, [identifier]);
    return row;
  }

  /** Connections an account owns or is offered (shared with it, joined or not), oldest first. */
  async visibleTo(accountId: string): Promise<SsoConnectionRow[]> {
    return this.db.query<SsoConnectionRow>(
      `SELECT ${COLUMNS} FROM read.sso_connections c
        WHERE c.account_id = $1 OR $1 = ANY(c.shared_with_account_ids)
        ORDER BY c.created_at, c.id`,
      [accountId],
    );
  }

  /**
   * API.md "SSO": every connection serving an account where a user with this email exists, and
   * every connection that lists the email's domain.
   */
  async forEmail(email: string): Promise<SsoConnectionRow[]> {
    const normalized = normalizeLogin(email);
    const domain = normalized.slice(normalized.lastIndexOf('@') + 1);
    return this.db.query<SsoConnectionRow>(
      `SELECT ${COLUMNS} FROM read.sso_connections c
        WHERE $2 = ANY(c.email_domains)
           OR EXISTS (SELECT 1 FROM read.sso_connection_accounts a JOIN read.users u ON u.account_id = a.account_id
                       WHERE a.connection_id = c.id AND u.email_normalized = $1)
        ORDER BY c.created_at, c.id`,
      [normalized, domain],
    );
  }
}
