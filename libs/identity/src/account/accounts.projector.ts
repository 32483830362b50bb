import { Injectable } from '@nestjs/common';
import type { Projection, Sql, StoredEvent } from '@latchkey/event-store';
import { AccountCreated } from './account.events';

/** read.accounts: tenants by id. */
@Injectable()
export class AccountsProjector implements Projection {
  readonly name = 'accounts';
  readonly handles = [AccountCreated.type];
  readonly tables = ['read.accounts'];

  async apply(events: readonly StoredEvent[], sql: Sql): Promise<void> {
    for (const event of events) {
      const d = event.data as AccountCreated['data'];
      await sql.query(`INSERT INTO read.accounts (id, name, created_at, version) VALUES ($1, $2, $3, $4)`, [
        d.accountId,
        d.name,
        event.occurredAt,
        event.version,
      ]);
    }
  }
}
