import { Injectable } from '@nestjs/common';
import type { Projection, Sql, StoredEvent } from '@latchkey/event-store';
import { ResetCompleted, ResetRequested } from './password-reset.events';

/**
 * read.reset_tokens: every reset link by token hash, and whether it still works. A new link
 * makes the user's earlier ones stop working; a used link (a completed reset) stops all of them.
 */
@Injectable()
export class ResetTokensProjector implements Projection {
  readonly name = 'reset-tokens';
  readonly handles = [ResetRequested.type, ResetCompleted.type];
  readonly tables = ['read.reset_tokens'];

  async apply(events: readonly StoredEvent[], sql: Sql): Promise<void> {
    for (const event of events) {
      if (event.type === ResetRequested.type) {
        const d = event.data as ResetRequested['data'];
        await sql.query(`UPDATE read.reset_tokens SET superseded_at = $2 WHERE user_id = $1 AND superseded_at IS NULL AND used_at IS NULL`, [
          d.userId,
          event.occurredAt,
        ]);
        await sql.query(
          `INSERT INTO read.reset_tokens (token_hash, reset_id, user_id, account_id, initiated_by, expires_at, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [d.tokenHash, d.resetId, d.userId, d.accountId, d.initiatedBy, d.expiresAt, event.occurredAt],
        );
      } else {
        const d = event.data as ResetCompleted['data'];
        await sql.query(`UPDATE read.reset_tokens SET used_at = $2 WHERE reset_id = $1`, [d.resetId, event.occurredAt]);
        await sql.query(`UPDATE read.reset_tokens SET superseded_at = $2 WHERE user_id = $1 AND reset_id <> $3 AND superseded_at IS NULL AND used_at IS NULL`, [
          d.userId,
          event.occurredAt,
          d.resetId,
        ]);
      }
    }
  }
}
