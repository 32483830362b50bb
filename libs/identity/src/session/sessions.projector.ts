import { Injectable } from '@nestjs/common';
import type { Projection, Sql, StoredEvent } from '@latchkey/event-store';
import { SessionReauthenticated, SessionReauthenticationFailed, SessionRefreshed, SessionRevoked, SessionStarted } from './session.events';

/** read.sessions and read.refresh_tokens: what refresh, logout and the access-token guard check. */
@Injectable()
export class SessionsProjector implements Projection {
  readonly name = 'sessions';
  readonly handles = [SessionStarted.type, SessionRefreshed.type, SessionRevoked.type, SessionReauthenticated.type, SessionReauthenticationFailed.type];
  readonly tables = ['read.sessions', 'read.refresh_tokens'];

  async apply(events: readonly StoredEvent[], sql: Sql): Promise<void> {
    for (const event of events) {
      switch (event.type) {
        case SessionStarted.type: {
          const d = event.data as SessionStarted['data'];
          await sql.query(
            `INSERT INTO read.sessions (id, user_id, account_id, device_id, method, refresh_token_hash, expires_at, started_at, version, user_version, authenticated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
            [d.sessionId, d.userId, d.accountId, d.deviceId, d.method, d.refreshTokenHash, d.expiresAt, event.occurredAt, event.version, d.userVersion ?? null, d.authenticatedAt ?? event.occurredAt],
          );
          await sql.query(`INSERT INTO read.refresh_tokens (token_hash, session_id, issued_at) VALUES ($1, $2, $3)`, [
            d.refreshTokenHash,
            d.sessionId,
            event.occurredAt,
          ]);
          break;
        }
        case SessionRefreshed.type: {
          const d = event.data as SessionRefreshed['data'];
          // One statement for both tables: refreshes are the most frequent write there is.
          await sql.query(
            `WITH session AS (
               UPDATE read.sessions SET refresh_token_hash = $2, expires_at = $3, refreshed_at = $4, version = $5 WHERE id = $1
             )
             INSERT INTO read.refresh_tokens (token_hash, session_id, issued_at) VALUES ($2, $1, $4)`,
            [d.sessionId, d.refreshTokenHash, d.expiresAt, event.occurredAt, event.version],
          );
          break;
        }
        case SessionReauthenticated.type:
          await sql.query(`UPDATE read.sessions SET authenticated_at = $2, version = $3 WHERE id = $1`, [(event.data as SessionReauthenticated['data']).sessionId, event.occurredAt, event.version]);
          break;
        case SessionReauthenticationFailed.type:
          await sql.query(`UPDATE read.sessions SET version = $2 WHERE id = $1`, [(event.data as SessionReauthenticationFailed['data']).sessionId, event.version]);
          break;
        case SessionRevoked.type: {
          const d = event.data as SessionRevoked['data'];
          await sql.query(`UPDATE read.sessions SET revoked_at = $2, revoke_reason = $3, version = $4 WHERE id = $1`, [
            d.sessionId,
            event.occurredAt,
            d.reason,
            event.version,
          ]);
          break;
        }
      }
    }
  }
}
