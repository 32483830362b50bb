import { Injectable } from '@nestjs/common';
import type { Projection, Sql, StoredEvent } from '@latchkey/event-store';
import { OtpVerified } from '../login/login.events';
import { normalizeLogin } from '../shared/contact';
import { ExternalIdentityLinked, PasswordChanged, UserAccessChanged, UserLockedOut, UserPreferencesChanged, UserRegistered, UserUnlocked } from './user.events';

/** Passwords set through a link sent to the user's email: whoever set them reads that mailbox. */
const PROVING_PASSWORD_CHANGES: readonly PasswordChanged['data']['via'][] = ['reset', 'invitation'];

/** read.users: everything a login decision reads about a user, including the password hash. */
@Injectable()
export class UsersProjector implements Projection {
  readonly name = 'users';
  readonly handles = [
    UserRegistered.type,
    PasswordChanged.type,
    UserPreferencesChanged.type,
    UserAccessChanged.type,
    UserLockedOut.type,
    UserUnlocked.type,
    ExternalIdentityLinked.type,
    OtpVerified.type,
  ];
  readonly tables = ['read.users'];

  async apply(events: readonly StoredEvent[], sql: Sql): Promise<void> {
    for (const event of events) {
      switch (event.type) {
        case UserRegistered.type: {
          const d = event.data as UserRegistered['data'];
          await sql.query(
            `INSERT INTO read.users (id, account_id, email, email_normalized, username, username_normalized, phone, locale,
                                     roles, web_access, two_factor_channel, source, created_at, updated_at, version, name)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15)`,
            [
              d.userId,
              d.accountId,
              d.email,
              normalizeLogin(d.email),
              d.username,
              normalizeLogin(d.username),
              d.phone,
              d.locale,
              d.roles,
              d.webAccess,
              d.twoFactorChannel,
              d.source,
              event.occurredAt,
              event.version,
              d.name ?? null,
            ],
          );
          break;
        }
        case PasswordChanged.type: {
          const d = event.data as PasswordChanged['data'];
          // Sessions started on the old password end with it (see sessions_ended_version).
          await sql.query(
            `UPDATE read.users SET password_hash = $2, password_changed_at = $3, updated_at = $3, version = $4, sessions_ended_version = $4,
                    email_proven_at = coalesce(email_proven_at, $5)
              WHERE id = $1`,
            [d.userId, d.hash, event.occurredAt, event.version, PROVING_PASSWORD_CHANGES.includes(d.via) ? event.occurredAt : null],
          );
          break;
        }
        case OtpVerified.type: {
          // A right code that went to the user's email: whoever typed it reads that mailbox.
          const d = event.data as OtpVerified['data'];
          // Only the first time: a row untouched is a row not rewritten nor locked until the commit.
          if (d.channel === 'email') await sql.query(`UPDATE read.users SET email_proven_at = $2 WHERE id = $1 AND email_proven_at IS NULL`, [d.userId, event.occurredAt]);
          break;
        }
        case ExternalIdentityLinked.type: {
          // The provider verified the address; it proves the user's own only if it is that one.
          const d = event.data as ExternalIdentityLinked['data'];
          await sql.query(`UPDATE read.users SET email_proven_at = $2 WHERE id = $1 AND email_normalized = $3 AND email_proven_at IS NULL`, [
            d.userId,
            event.occurredAt,
            normalizeLogin(d.email),
          ]);
          break;
        }
        case UserPreferencesChanged.type: {
          const d = event.data as UserPreferencesChanged['data'];
          await sql.query(
            `UPDATE read.users SET locale = coalesce($2, locale), two_factor_channel = coalesce($3, two_factor_channel),
                    phone = CASE WHEN $4 THEN $5 ELSE phone END, name = CASE WHEN $8 THEN $9 ELSE name END,
                    updated_at = $6, version = $7
              WHERE id = $1`,
            [d.userId, d.locale ?? null, d.twoFactorChannel ?? null, d.phone !== undefined, d.phone ?? null, event.occurredAt, event.version, d.name !== undefined, d.name ?? null],
          );
          break;
        }
        case UserAccessChanged.type: {
          const d = event.data as UserAccessChanged['data'];
          await sql.query(
            `UPDATE read.users SET roles = coalesce($2, roles), web_access = coalesce($3, web_access), enabled = coalesce($4, enabled),
                    updated_at = $5, version = $6, sessions_ended_version = CASE WHEN $7 THEN $6 ELSE sessions_ended_version END
              WHERE id = $1`,
            [d.userId, d.roles ?? null, d.webAccess ?? null, d.enabled ?? null, event.occurredAt, event.version, d.enabled === false || d.webAccess === false],
          );
          break;
        }
        case UserUnlocked.type: {
          const d = event.data as UserUnlocked['data'];
          await sql.query(`UPDATE read.users SET locked_until = NULL, version = $2 WHERE id = $1`, [d.userId, event.version]);
          break;
        }
        case UserLockedOut.type: {
          const d = event.data as UserLockedOut['data'];
          await sql.query(`UPDATE read.users SET locked_until = $2, version = $3 WHERE id = $1`, [d.userId, d.until, event.version]);
          break;
        }
      }
    }
  }
}
