import { Injectable } from '@nestjs/common';
import { ReadSql, type Sql } from '@latchkey/event-store';

export interface GroupRow {
  id: string;
  name: string;
  source: 'sso' | 'local';
  memberCount: number;
}

@Injectable()
export class GroupQueries {
  constructor(private readonly db: ReadSql) {}

  /** The account's groups by name, with how many users are in each. */
  async ofAccount(accountId: string): Promise<GroupRow[]> {
    return this.db.query<GroupRow>(
      `SELECT g.id, g.name, g.source, (SELECT count(DISTINCT m.user_id)::int FROM read.group_members m WHERE m.group_id = g.id) AS "memberCount"
         FROM read.groups g WHERE g.account_id = $1 ORDER BY g.name_normalized`,
      [accountId],
    );
  }

  /** The groups a connection's IdP put the user in. */
  async ssoGroupsOf(userId: string, connectionId: string, sql: Sql = this.db): Promise<{ id: string; name: string }[]> {
    return sql.query(
      `SELECT g.id, g.name FROM read.group_members m JOIN read.groups g ON g.id = m.group_id
        WHERE m.user_id = $1 AND m.connection_id = $2 ORDER BY g.name_normalized`,
      [userId, connectionId],
    );
  }

  /** Groups of the account with these (normalized) names, of any source. */
  async byNames(accountId: string, normalizedNames: string[], sql: Sql = this.db): Promise<{ id: string; name: string; normalized: string; source: 'sso' | 'local' }[]> {
    return sql.query(
      `SELECT id, name, name_normalized AS normalized, source FROM read.groups WHERE account_id = $1 AND name_normalized = ANY($2::text[])`,
      [accountId, normalizedNames],
    );
  }
}
