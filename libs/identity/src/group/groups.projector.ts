import { Injectable } from '@nestjs/common';
import type { Projection, Sql, StoredEvent } from '@latchkey/event-store';
import { SsoGroupsChanged } from '../user/user.events';
import { normalizeGroupName } from './group.aggregate';
import { GroupCreated } from './group.events';

/** read.groups and read.group_members (inline: the next SSO login compares against them). */
@Injectable()
export class GroupsProjector implements Projection {
  readonly name = 'groups';
  readonly handles = [GroupCreated.type, SsoGroupsChanged.type];
  readonly tables = ['read.groups', 'read.group_members'];

  async apply(events: readonly StoredEvent[], sql: Sql): Promise<void> {
    for (const event of events) {
      if (event.type === GroupCreated.type) {
        const d = event.data as GroupCreated['data'];
        await sql.query(`INSERT INTO read.groups (id, account_id, name, name_normalized, source, created_at) VALUES ($1, $2, $3, $4, $5, $6)`, [
          d.groupId,
          d.accountId,
          d.name,
          normalizeGroupName(d.name),
          d.source,
          event.occurredAt,
        ]);
      } else {
        const d = event.data as SsoGroupsChanged['data'];
        if (d.added.length > 0) {
          await sql.query(
            `INSERT INTO read.group_members (group_id, user_id, connection_id) SELECT unnest($1::uuid[]), $2, $3 ON CONFLICT DO NOTHING`,
            [d.added.map((g) => g.groupId), d.userId, d.connectionId],
          );
        }
        if (d.removed.length > 0) {
          await sql.query(`DELETE FROM read.group_members WHERE user_id = $2 AND connection_id = $3 AND group_id = ANY($1::uuid[])`, [
            d.removed.map((g) => g.groupId),
            d.userId,
            d.connectionId,
          ]);
        }
      }
    }
  }
}
