import { Injectable } from '@nestjs/common';
import { EventTypeRegistry, type Projection, type Sql, type StoredEvent } from '@latchkey/event-store';
import { UserRegistered } from '../user/user.events';
import { IDENTITY_EVENT_TYPES } from './identity-event-types';

/**
 * read.audit_log (async: it never slows a login): every identity event that belongs to an
 * account, with who did it, from where, and its payload without secrets. An event names its
 * account, or its user, whose account the projection keeps in read.audit_user_accounts from
 * `user.registered` (an async projection reads only its own tables: see `ProjectionRebuilder`).
 * Events of no account (a failed login on an unknown name) are not in any account's audit.
 */
@Injectable()
export class AuditLogProjector implements Projection {
  readonly name = 'audit-log';
  readonly handles = IDENTITY_EVENT_TYPES;
  readonly tables = ['read.audit_log', 'read.audit_user_accounts'];
  // The audit and history pages read by account and by user; the projection only inserts.
  readonly queryOnlyIndexes = ['read.audit_log_account_idx', 'read.audit_log_user_idx'];

  constructor(private readonly types: EventTypeRegistry) {}

  async apply(events: readonly StoredEvent[], sql: Sql): Promise<void> {
    const data = (e: StoredEvent) => e.data as { accountId?: string | null; userId?: string | null };
    const registered = new Map<string, string>();
    for (const e of events) if (e.type === UserRegistered.type) registered.set(data(e).userId!, data(e).accountId!);
    if (registered.size > 0) {
      await sql.query(
        `INSERT INTO read.audit_user_accounts (user_id, account_id) SELECT * FROM unnest($1::uuid[], $2::uuid[]) ON CONFLICT (user_id) DO NOTHING`,
        [[...registered.keys()], [...registered.values()]],
      );
    }
    const accountOf = new Map(registered);
    const unknownAccounts = [...new Set(events.filter((e) => !data(e).accountId && data(e).userId && !accountOf.has(data(e).userId!)).map((e) => data(e).userId!))];
    if (unknownAccounts.length > 0) {
      const rows = await sql.query<{ userId: string; accountId: string }>(
        `SELECT user_id AS "userId", account_id AS "accountId" FROM read.audit_user_accounts WHERE user_id = ANY($1::uuid[])`,
        [unknownAccounts],
      );
      for (const row of rows) accountOf.set(row.userId, row.accountId);
    }
    const rows = events
      .map((e) => ({ e, accountId: data(e).accountId ?? (data(e).userId ? accountOf.get(data(e).userId!) : undefined) }))
      .filter((r): r is { e: StoredEvent; accountId: string } => typeof r.accountId === 'string');
    if (rows.length === 0) return;
    await sql.query(
      `INSERT INTO read.audit_log (global_position, event_id, account_id, user_id, stream_id, type, occurred_at, actor, ip, data)
       SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::timestamptz[], $8::jsonb[], $9::text[], $10::jsonb[])
       ON CONFLICT (global_position) DO NOTHING`,
      [
        rows.map((r) => r.e.globalPosition),
        rows.map((r) => r.e.id),
        rows.map((r) => r.accountId),
        rows.map((r) => data(r.e).userId ?? null),
        rows.map((r) => r.e.streamId),
        rows.map((r) => r.e.type),
        rows.map((r) => r.e.occurredAt),
        rows.map((r) => JSON.stringify(r.e.metadata.actor ?? { type: 'system', id: null })),
        rows.map((r) => r.e.metadata.ip ?? null),
        rows.map((r) => JSON.stringify(this.types.redact(r.e.type, r.e.data))),
      ],
    );
  }
}
