import { Injectable } from '@nestjs/common';
import type { Projection, Sql, StoredEvent } from '@latchkey/event-store';
import { ExternalIdentityLinked, ExternalIdentityUnlinked } from '../user.events';

/** read.external_identities: which user a Google or GitHub identity logs in as (inline: the next login reads it). */
@Injectable()
export class ExternalIdentitiesProjector implements Projection {
  readonly name = 'external-identities';
  readonly handles = [ExternalIdentityLinked.type, ExternalIdentityUnlinked.type];
  readonly tables = ['read.external_identities'];

  async apply(events: readonly StoredEvent[], sql: Sql): Promise<void> {
    for (const event of events) {
      if (event.type === ExternalIdentityLinked.type) {
        const d = event.data as ExternalIdentityLinked['data'];
        await sql.query(
          `INSERT INTO read.external_identities (id, user_id, account_id, provider, subject, email, linked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [d.identityId, d.userId, d.accountId, d.provider, d.subject, d.email, event.occurredAt],
        );
      } else {
        await sql.query(`DELETE FROM read.external_identities WHERE id = $1`, [(event.data as ExternalIdentityUnlinked['data']).identityId]);
      }
    }
  }
}
