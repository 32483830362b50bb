import { Injectable } from '@nestjs/common';
import type { Projection, Sql, StoredEvent } from '@latchkey/event-store';
import { TwoFactorSkipped } from '../login/login.events';
import { DeviceAuthorized, DeviceRevoked } from './device.events';

/** read.devices: trusted devices by token hash, with when they were last used. */
@Injectable()
export class DevicesProjector implements Projection {
  readonly name = 'devices';
  readonly handles = [DeviceAuthorized.type, DeviceRevoked.type, TwoFactorSkipped.type];
  readonly tables = ['read.devices'];

  async apply(events: readonly StoredEvent[], sql: Sql): Promise<void> {
    for (const event of events) {
      switch (event.type) {
        case DeviceAuthorized.type: {
          const d = event.data as DeviceAuthorized['data'];
          await sql.query(
            `INSERT INTO read.devices (id, user_id, account_id, token_hash, name, user_agent, ip, authorized_at, last_used_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)`,
            [d.deviceId, d.userId, d.accountId, d.tokenHash, d.name, d.userAgent, d.ip, event.occurredAt, d.expiresAt],
          );
          break;
        }
        case DeviceRevoked.type: {
          const d = event.data as DeviceRevoked['data'];
          await sql.query(`UPDATE read.devices SET revoked_at = $2, revoke_reason = $3 WHERE id = $1 AND revoked_at IS NULL`, [
            d.deviceId,
            event.occurredAt,
            d.reason,
          ]);
          break;
        }
        case TwoFactorSkipped.type: {
          const d = event.data as TwoFactorSkipped['data'];
          // greatest(): logins on one device commit in any order; the latest time wins, live and in a rebuild.
          if (d.deviceId) await sql.query(`UPDATE read.devices SET last_used_at = greatest(last_used_at, $2) WHERE id = $1`, [d.deviceId, event.occurredAt]);
          break;
        }
      }
    }
  }
}
