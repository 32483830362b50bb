import { defineEvent } from '@latchkey/event-store';
import { z } from 'zod';

export class SessionStarted extends defineEvent(
  'session.started',
  z.object({
    sessionId: z.string().uuid(),
    userId: z.string().uuid(),
    accountId: z.string().uuid(),
    /** The login that started it; absent for a session that continues another (`replaces`). */
    loginId: z.string().uuid().optional(),
    /** The session this one continues: a password change ends every session and continues the caller's in a new one. */
    replaces: z.string().uuid().optional(),
    /**
     * When the user last proved themselves for it, if not at this start: a continued session
     * keeps the one it replaces' (a password change is no fresh login). See `RecentLogin`.
     */
    authenticatedAt: z.string().datetime().optional(),
    deviceId: z.string().uuid().nullable(),
    method: z.enum(['password', 'sso', 'google', 'github']),
    refreshTokenHash: z.string().length(64),
    expiresAt: z.string().datetime(),
    /**
     * The user's version the login decided on (its password or IdP check): a change that ends
     * sessions at a later version (new password, disabled, web access removed) ends this one too,
     * even if the login commits after that change. Absent in events written before it existed.
     */
    userVersion: z.number().int().nonnegative().optional(),
  }),
  { secretFields: ['refreshTokenHash'] },
) {}

/** The refresh token was used and replaced; the old one is spent. */
export class SessionRefreshed extends defineEvent(
  'session.refreshed',
  z.object({
    sessionId: z.string().uuid(),
    userId: z.string().uuid(),
    refreshTokenHash: z.string().length(64),
    previousTokenHash: z.string().length(64),
    expiresAt: z.string().datetime(),
  }),
  { secretFields: ['refreshTokenHash', 'previousTokenHash'] },
) {}

export class SessionRevoked extends defineEvent(
  'session.revoked',
  z.object({
    sessionId: z.string().uuid(),
    userId: z.string().uuid(),
    reason: z.enum(['logout', 'user', 'refresh_token_reuse', 'password_reset', 'password_changed', 'user_disabled', 'web_access_removed', 'admin']),
  }),
) {}

/** The user entered their password again in this session: it counts as a recent login (`RecentLogin`). */
export class SessionReauthenticated extends defineEvent(
  'session.reauthenticated',
  z.object({
    sessionId: z.string().uuid(),
    userId: z.string().uuid(),
  }),
) {}

/**
 * A wrong password entered in this session — to reauthenticate, or as the current password of
 * a password change (it counts as a login failure of the user's email).
 */
export class SessionReauthenticationFailed extends defineEvent(
  'session.reauthentication_failed',
  z.object({
    sessionId: z.string().uuid(),
    userId: z.string().uuid(),
  }),
) {}

export const SESSION_EVENTS = [SessionStarted, SessionRefreshed, SessionRevoked, SessionReauthenticated, SessionReauthenticationFailed];
