import { Injectable } from '@nestjs/common';
import { ReadSql, type Sql } from '@latchkey/event-store';
import type { Locale } from './locale';
import type { Channel, Role } from './roles';
import type { LoginMethod } from '../login/login.aggregate';

export interface UserRow {
  id: string;
  accountId: string;
  email: string;
  username: string;
  /** Display name; not read by every query. */
  name?: string | null;
  phone: string | null;
  locale: Locale;
  roles: Role[];
  webAccess: boolean;
  twoFactorChannel: Channel;
  enabled: boolean;
  passwordHash: string | null;
  createdAt: Date;
  version: number;
  /** The version of the user's last event that ended their sessions (0: none since this was recorded). */
  sessionsEndedVersion: number;
}

export interface DeviceRow {
  id: string;
  userId: string;
  accountId: string;
  name: string | null;
  userAgent: string | null;
  ip: string | null;
  authorizedAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date;
  revokedAt: Date | null;
}

/** What a trusted-device check needs of a device row. */
export type DeviceTrust = Pick<DeviceRow, 'id' | 'userId' | 'revokedAt' | 'expiresAt'>;

/**
 * Whether `device` (the one a client presented, if any) is one of `userId`'s that still skips
 * the code, and why not: the rule for a login from a trusted device and for a step-up.
 */
export function trustOf(userId: string, device: DeviceTrust | null | undefined, now: Date): { trusted: true; id: string } | { trusted: false; reason: 'new_device' | 'device_revoked' | 'device_expired' } {
  if (!device || device.userId !== userId) return { trusted: false, reason: 'new_device' };
  if (device.revokedAt) return { trusted: false, reason: 'device_revoked' };
  if (device.expiresAt <= now) return { trusted: false, reason: 'device_expired' };
  return { trusted: true, id: device.id };
}

/**
 * A user a login names, with what the login's later steps would otherwise each read: whether
 * the user's account enforces SSO, and the device the client presented when it is this user's.
 */
export interface LoginCandidate {
  user: UserRow;
  enforceSso: boolean;
  device: DeviceTrust | null;
}

export interface ActiveSessionRow {
  id: string;
  method: string;
  startedAt: Date;
  refreshedAt: Date | null;
  expiresAt: Date;
  deviceId: string | null;
  deviceName: string | null;
  deviceUserAgent: string | null;
}

export interface SessionRow {
  id: string;
  userId: string;
  accountId: string;
  deviceId: string | null;
  method: LoginMethod;
  refreshTokenHash: string;
  expiresAt: Date;
  revoked: boolean;
  version: number;
}

/** Whether the account in `accountColumn` has a connection enforcing SSO (its own connections, not joined ones). */
const enforcesSso = (accountColumn: string) =>
  `EXISTS (SELECT 1 FROM read.sso_connections c WHERE c.account_id = ${accountColumn} AND c.enforce_sso) AS "enforceSso"`;

/**
 * Which users of an email a bounded lookup reads: those who proved the address (a reset or
 * invitation link used, a code sent to it verified, a Google/GitHub identity linked by it)
 * before those who did not, then the oldest. Sign-up does not verify emails, so anyone can sign
 * up accounts with somebody else's; without this, enough of them made before that person's own
 * user hid it from login and reset by email. Index `users_email_proven_idx` reads in this order.
 */
const BY_EMAIL_ORDER = 'email_proven_at IS NULL, created_at';

const USER_COLUMNS = `id, account_id AS "accountId", email, username, name, phone, locale, roles, web_access AS "webAccess",
  two_factor_channel AS "twoFactorChannel", enabled, password_hash AS "passwordHash", created_at AS "createdAt", version,
  sessions_ended_version AS "sessionsEndedVersion"`;
const DEVICE_COLUMNS = `id, user_id AS "userId", account_id AS "accountId", name, user_agent AS "userAgent", ip,
  authorized_at AS "authorizedAt", last_used_at AS "lastUsedAt", expires_at AS "expiresAt", revoked_at AS "revokedAt"`;
const SESSION_COLUMNS = `id, user_id AS "userId", account_id AS "accountId", device_id AS "deviceId", method, refresh_token_hash AS "refreshTokenHash",
  expires_at AS "expiresAt", revoked_at IS NOT NULL AS revoked, version`;

/**
 * Whether session `s` still stands for its user `u`: no change that ends sessions (a new
 * password, disabled, web access removed) came after the user state its login decided on.
 * Sessions from before `user_version` was recorded (NULL) were revoked explicitly by such changes.
 */
const SESSION_CURRENT = `coalesce(s.user_version >= u.sessions_ended_version, true)`;
/** The ways in that an account enforcing SSO refuses (its own SAML connection is the way it wants). */
export const SSO_BYPASSING_METHODS = ['password', 'google', 'github'] as const;
/**
 * Whether a session began a way its account now refuses (`SSO_BYPASSING_METHODS`, as a login
 * is refused: `LoginFinisher`) while the account enforces SSO. Such a session gets no new
 * tokens, so it ends when its access token expires (`ACCESS_TOKEN_TTL_SECONDS`); without this,
 * turning enforcement on left every password session running for good on refreshes (a security
 * probe found it). Not at once: the admin who turns enforcement on usually does it from such a
 * session, and keeps it long enough to check the connection.
 */
const SESSION_BYPASSES_SSO = `(s.method IN (${SSO_BYPASSING_METHODS.map((m) => `'${m}'`).join(', ')})
  AND EXISTS (SELECT 1 FROM read.sso_connections c WHERE c.account_id = s.account_id AND c.enforce_sso))`;

/** Queries on the identity read models (inline projections, so never behind the events). */
@Injectable()
export class IdentityReadModels {
  constructor(private readonly db: ReadSql) {}

  /** The pool-level `Sql` these queries use by default. */
  get sql(): Sql {
    return this.db;
  }

  /**
   * Users in every account with this email, at most `limit` (an email may exist in several
   * accounts): those who proved the address first, then the oldest (see `BY_EMAIL_ORDER`).
   */
  async usersByEmail(normalizedEmail: string, limit: number, sql: Sql = this.db): Promise<UserRow[]> {
    return sql.query<UserRow>(`SELECT ${USER_COLUMNS} FROM read.users WHERE email_normalized = $1 ORDER BY ${BY_EMAIL_ORDER} LIMIT $2`, [
      normalizedEmail,
      limit,
    ]);
  }

  /**
   * The users a password login names (by email: every account's, at most `limit`, those who
   * proved the address first; by username: the one), each with its account's SSO rule and the
   * presented device if it is theirs: one round trip where a login made three.
   */
  async loginCandidates(
    by: 'email' | 'username',
    normalizedLogin: string,
    limit: number,
    deviceTokenHash: string | null,
    sql: Sql = this.db,
  ): Promise<LoginCandidate[]> {
    const rows = await sql.query<UserRow & { enforceSso: boolean; deviceId: string | null; deviceRevokedAt: Date | null; deviceExpiresAt: Date | null }>(
      `SELECT u.*, ${enforcesSso('u."accountId"')},
              d.id AS "deviceId", d.revoked_at AS "deviceRevokedAt", d.expires_at AS "deviceExpiresAt"
         FROM (SELECT ${USER_COLUMNS} FROM read.users
                WHERE ${by === 'email' ? 'email_normalized' : 'username_normalized'} = $1 ORDER BY ${BY_EMAIL_ORDER} LIMIT $2) u
         LEFT JOIN read.devices d ON d.token_hash = $3 AND d.user_id = u.id
        ORDER BY u."createdAt"`,
      [normalizedLogin, limit, deviceTokenHash],
    );
    return rows.map(({ enforceSso, deviceId, deviceRevokedAt, deviceExpiresAt, ...user }) => ({
      user,
      enforceSso,
      device: deviceId ? { id: deviceId, userId: user.id, revokedAt: deviceRevokedAt, expiresAt: deviceExpiresAt! } : null,
    }));
  }

  /** Users with this email in any of these accounts (an SSO connection's accounts), in `BY_EMAIL_ORDER`. */
  async usersByEmailIn(normalizedEmail: string, accountIds: string[], sql: Sql = this.db): Promise<UserRow[]> {
    return sql.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM read.users WHERE email_normalized = $1 AND account_id = ANY($2::uuid[]) ORDER BY ${BY_EMAIL_ORDER}`,
      [normalizedEmail, accountIds],
    );
  }

  async userByUsername(normalizedUsername: string, sql: Sql = this.db): Promise<UserRow | undefined> {
    const [row] = await sql.query<UserRow>(`SELECT ${USER_COLUMNS} FROM read.users WHERE username_normalized = $1`, [normalizedUsername]);
    return row;
  }

  async userById(id: string, sql: Sql = this.db): Promise<UserRow | undefined> {
    const [row] = await sql.query<UserRow>(`SELECT ${USER_COLUMNS} FROM read.users WHERE id = $1`, [id]);
    return row;
  }

  /** The user and whether their account enforces SSO, in one read (for a check under a lock, where a round trip counts). */
  async userWithSsoRule(id: string, sql: Sql = this.db): Promise<{ user: UserRow; enforceSso: boolean } | undefined> {
    const [row] = await sql.query<UserRow & { enforceSso: boolean }>(
      `SELECT ${USER_COLUMNS},
              ${enforcesSso('u.account_id')}
         FROM read.users u WHERE id = $1`,
      [id],
    );
    if (!row) return undefined;
    const { enforceSso, ...user } = row;
    return { user, enforceSso };
  }

  async accountNames(ids: string[], sql: Sql = this.db): Promise<Map<string, { name: string; enforceSso: boolean }>> {
    const rows = await sql.query<{ id: string; name: string; enforceSso: boolean }>(
      `SELECT a.id, a.name,
              ${enforcesSso('a.id')}
         FROM read.accounts a WHERE a.id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, { name: r.name, enforceSso: r.enforceSso }]));
  }

  async deviceByTokenHash(tokenHash: string, sql: Sql = this.db): Promise<DeviceRow | undefined> {
    const [row] = await sql.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM read.devices WHERE token_hash = $1`, [tokenHash]);
    return row;
  }

  async deviceById(id: string): Promise<DeviceRow | undefined> {
    const [row] = await this.db.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM read.devices WHERE id = $1`, [id]);
    return row;
  }

  /** The user's devices that still skip the code (not revoked, not expired). */
  async activeDevices(userId: string, now: Date): Promise<DeviceRow[]> {
    return this.db.query<DeviceRow>(
      `SELECT ${DEVICE_COLUMNS} FROM read.devices WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY authorized_at DESC`,
      [userId, now],
    );
  }

  /**
   * The user's sessions that still work: not revoked, not expired, not ended by a later change
   * of the user (`SESSION_CURRENT`), most recently used first, with the trusted device each
   * started on (if it still exists as a row: revoked devices are listed too).
   */
  async activeSessions(userId: string, now: Date): Promise<ActiveSessionRow[]> {
    return this.db.query<ActiveSessionRow>(
      `SELECT s.id, s.method, s.started_at AS "startedAt", s.refreshed_at AS "refreshedAt", s.expires_at AS "expiresAt",
              d.id AS "deviceId", d.name AS "deviceName", d.user_agent AS "deviceUserAgent"
         FROM read.sessions s
         JOIN read.users u ON u.id = s.user_id
         LEFT JOIN read.devices d ON d.id = s.device_id
        WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND ${SESSION_CURRENT}
        ORDER BY coalesce(s.refreshed_at, s.started_at) DESC`,
      [userId, now],
    );
  }

  /**
   * When the session's user last proved themselves for it: its login, a later reauthentication,
   * or the one of the session it continues (refreshes do not count).
   */
  async sessionAuthenticatedAt(id: string, sql: Sql = this.db): Promise<Date | undefined> {
    const [row] = await sql.query<{ at: Date }>(`SELECT coalesce(authenticated_at, started_at) AS at FROM read.sessions WHERE id = $1`, [id]);
    return row?.at;
  }

  async sessionById(id: string, sql: Sql = this.db): Promise<SessionRow | undefined> {
    const [row] = await sql.query<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM read.sessions WHERE id = $1`, [id]);
    return row;
  }

  /**
   * What an access token's bearer may do now, in one read: whether its session is still active
   * (not revoked, not ended by a later change of its user; its user enabled and with web access,
   * as `LoginFinisher.userRefusal` asks of a login) and its user's current roles (a role taken
   * away counts at once, not when the token expires).
   */
  async accessOf(sessionId: string): Promise<{ userId: string; active: boolean; roles: Role[] } | undefined> {
    const [row] = await this.db.query<{ userId: string; active: boolean; roles: Role[] }>(
      `SELECT s.user_id AS "userId", s.revoked_at IS NULL AND ${SESSION_CURRENT} AND u.enabled AND u.web_access AS active, u.roles
         FROM read.sessions s JOIN read.users u ON u.id = s.user_id WHERE s.id = $1`,
      [sessionId],
    );
    return row;
  }

  /** The session a refresh token was issued to (current or spent), if any. */
  async sessionIdOfRefreshToken(tokenHash: string, sql: Sql = this.db): Promise<string | undefined> {
    const [row] = await sql.query<{ sessionId: string }>(`SELECT session_id AS "sessionId" FROM read.refresh_tokens WHERE token_hash = $1`, [tokenHash]);
    return row?.sessionId;
  }

  /**
   * Everything a refresh decides on, in one round trip: the session a refresh token was issued
   * to (current or spent), its user, and whether the session still stands for that user
   * (`current`: no new password, disabling or loss of web access after the state its login saw).
   */
  async refreshContext(tokenHash: string): Promise<{ session: SessionRow; user: UserRow; current: boolean } | undefined> {
    const [row] = await this.db.query<{ session: SessionRow & { expiresAt: string }; user: UserRow & { createdAt: string }; current: boolean }>(
      `SELECT json_build_object('id', s.id, 'userId', s.user_id, 'accountId', s.account_id, 'deviceId', s.device_id, 'method', s.method, 'refreshTokenHash', s.refresh_token_hash,
                                'expiresAt', s.expires_at, 'revoked', s.revoked_at IS NOT NULL, 'version', s.version) AS session,
              json_build_object('id', u.id, 'accountId', u.account_id, 'email', u.email, 'username', u.username, 'phone', u.phone,
                                'locale', u.locale, 'roles', u.roles, 'webAccess', u.web_access, 'twoFactorChannel', u.two_factor_channel,
                                'enabled', u.enabled, 'passwordHash', NULL, 'createdAt', u.created_at, 'version', u.version,
                                'sessionsEndedVersion', u.sessions_ended_version) AS user,
              ${SESSION_CURRENT} AND NOT ${SESSION_BYPASSES_SSO} AS current
         FROM read.refresh_tokens t
         JOIN read.sessions s ON s.id = t.session_id
         JOIN read.users u ON u.id = s.user_id
        WHERE t.token_hash = $1`,
      [tokenHash],
    );
    if (!row) return undefined;
    return {
      session: { ...row.session, expiresAt: new Date(row.session.expiresAt) },
      user: { ...row.user, createdAt: new Date(row.user.createdAt) },
      current: row.current,
    };
  }

  /** The user's sessions not revoked (those a change that ends sessions revokes). */
  async activeSessionRows(userId: string, sql: Sql = this.db): Promise<SessionRow[]> {
    return sql.query<SessionRow>(`SELECT ${SESSION_COLUMNS} FROM read.sessions WHERE user_id = $1 AND revoked_at IS NULL`, [userId]);
  }
}
