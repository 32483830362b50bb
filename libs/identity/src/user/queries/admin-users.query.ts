import { Injectable } from '@nestjs/common';
import { ReadSql } from '@latchkey/event-store';
import type { UserRow } from '../../shared/read-models';

const COLUMNS = `id, account_id AS "accountId", email, username, name, phone, locale, roles, web_access AS "webAccess",
  two_factor_channel AS "twoFactorChannel", enabled, NULL AS "passwordHash", created_at AS "createdAt", version`;

/** The admin's views of users and of the audit trail, always within one account. */
@Injectable()
export class AdminQueries {
  constructor(private readonly db: ReadSql) {}

  /** Users of the account matching `query` (email, username or name, any part, any case), a page at a time. */
  async users(accountId: string, query: string, page: number, pageSize: number): Promise<{ items: UserRow[]; total: number }> {
    const pattern = `%${query.trim().toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const where = `account_id = $1 AND ($2 = '%%' OR email_normalized LIKE $2 OR username_normalized LIKE $2 OR lower(name) LIKE $2)`;
    const [items, [{ total }]] = await Promise.all([
      this.db.query<UserRow>(`SELECT ${COLUMNS} FROM read.users WHERE ${where} ORDER BY created_at, id LIMIT $3 OFFSET $4`, [
        accountId,
        pattern,
        pageSize,
        (page - 1) * pageSize,
      ]),
      this.db.query<{ total: number }>(`SELECT count(*)::int AS total FROM read.users WHERE ${where}`, [accountId, pattern]),
    ]);
    return { items, total };
  }

  /** A user's events, oldest first (at most `limit`, the latest ones). */
  async history(accountId: string, userId: string, limit: number): Promise<AuditRow[]> {
    const rows = await this.db.query<AuditRow>(
      `SELECT * FROM (
         SELECT ${AUDIT_COLUMNS} FROM read.audit_log WHERE account_id = $1 AND user_id = $2 ORDER BY global_position DESC LIMIT $3
       ) latest ORDER BY "position"`,
      [accountId, userId, limit],
    );
    return rows;
  }

  /** The account's events, newest first, after the cursor position (keyset: new events never shift a page). */
  async audit(
    accountId: string,
    filter: { type?: string; userId?: string; from?: Date; to?: Date; before?: number },
    limit: number,
  ): Promise<AuditRow[]> {
    return this.db.query<AuditRow>(
      `SELECT ${AUDIT_COLUMNS} FROM read.audit_log
        WHERE account_id = $1
          AND ($2::text IS NULL OR type = $2)
          AND ($3::uuid IS NULL OR user_id = $3)
          AND ($4::timestamptz IS NULL OR occurred_at >= $4)
          AND ($5::timestamptz IS NULL OR occurred_at < $5)
          AND ($6::bigint IS NULL OR global_position < $6)
        ORDER BY global_position DESC
        LIMIT $7`,
      [accountId, filter.type ?? null, filter.userId ?? null, filter.from ?? null, filter.to ?? null, filter.before ?? null, limit],
    );
  }
}

export interface AuditRow {
  position: string;
  id: string;
  type: string;
  occurredAt: Date;
  userId: string | null;
  actor: { type: string; id: string | null };
  ip: string | null;
  data: Record<string, unknown>;
}

const AUDIT_COLUMNS = `global_position AS "position", event_id AS id, type, occurred_at AS "occurredAt", user_id AS "userId", actor, ip, data`;
