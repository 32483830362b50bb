import { Injectable } from '@nestjs/common';
import { ReadSql, type Sql } from '@latchkey/event-store';
import type { ExternalProvider } from '../user.events';

export interface ExternalIdentityRow {
  id: string;
  userId: string;
  accountId: string;
  provider: ExternalProvider;
  subject: string;
  email: string;
  linkedAt: Date;
}

const COLUMNS = `id, user_id AS "userId", account_id AS "accountId", provider, subject, email, linked_at AS "linkedAt"`;

@Injectable()
export class ExternalIdentityQueries {
  constructor(private readonly db: ReadSql) {}

  async bySubject(provider: ExternalProvider, subject: string, sql: Sql = this.db): Promise<ExternalIdentityRow | undefined> {
    const [row] = await sql.query<ExternalIdentityRow>(`SELECT ${COLUMNS} FROM read.external_identities WHERE provider = $1 AND subject = $2`, [provider, subject]);
    return row;
  }

  async ofUser(userId: string): Promise<ExternalIdentityRow[]> {
    return this.db.query<ExternalIdentityRow>(`SELECT ${COLUMNS} FROM read.external_identities WHERE user_id = $1 ORDER BY linked_at, id`, [userId]);
  }
}
