import { defineEvent } from '@latchkey/event-store';
import { z } from 'zod';
import { CHANNELS, ROLES } from '../shared/roles';
import { EMAIL_ADDRESS } from '../shared/contact';
import { SUPPORTED_LOCALES } from '../shared/locale';

const channel = z.enum(CHANNELS);
const locale = z.enum(SUPPORTED_LOCALES);

export class UserRegistered extends defineEvent(
  'user.registered',
  z.object({
    userId: z.string().uuid(),
    accountId: z.string().uuid(),
    email: EMAIL_ADDRESS,
    username: z.string(),
    /** Display name (admin-given, or from the IdP); absent in events written before it existed. */
    name: z.string().max(200).nullable().optional(),
    phone: z.string().nullable(),
    locale,
    roles: z.array(z.enum(ROLES)).min(1),
    webAccess: z.boolean(),
    twoFactorChannel: channel,
    source: z.enum(['signup', 'admin', 'sso']),
  }),
) {}

/** The argon2id hash only, never the password; hidden from audit views. */
export class PasswordChanged extends defineEvent(
  'user.password_changed',
  z.object({ userId: z.string().uuid(), hash: z.string().startsWith('$argon2id$'), via: z.enum(['signup', 'reset', 'change', 'invitation']) }),
  { secretFields: ['hash'] },
) {}

export class UserPreferencesChanged extends defineEvent(
  'user.preferences_changed',
  z.object({
    userId: z.string().uuid(),
    locale: locale.optional(),
    twoFactorChannel: channel.optional(),
    /** null removes the phone. */
    phone: z.string().nullable().optional(),
    /** Display name; null removes it. */
    name: z.string().max(200).nullable().optional(),
  }),
) {}

/** Who may do what: roles, web-interface access, enabled. Changed by an account admin. */
export class UserAccessChanged extends defineEvent(
  'user.access_changed',
  z.object({
    userId: z.string().uuid(),
    roles: z.array(z.enum(ROLES)).min(1).optional(),
    webAccess: z.boolean().optional(),
    enabled: z.boolean().optional(),
  }),
) {}

/** A login identifier crossed the failure threshold; further attempts are refused until `until`. */
export class UserLockedOut extends defineEvent(
  'user.locked_out',
  z.object({ userId: z.string().uuid(), failures: z.number().int(), until: z.string().datetime() }),
) {}

/** An account admin cleared the login throttles of the user. */
export class UserUnlocked extends defineEvent('user.unlocked', z.object({ userId: z.string().uuid() })) {}

const groupRef = z.object({ groupId: z.string().uuid(), name: z.string() });

/** The user confirmed the group changes their IdP reported; memberships follow it, removals too. */
export class SsoGroupsChanged extends defineEvent(
  'user.sso_groups_changed',
  z.object({
    userId: z.string().uuid(),
    accountId: z.string().uuid(),
    connectionId: z.string().uuid(),
    added: z.array(groupRef),
    removed: z.array(groupRef),
  }),
) {}

export const EXTERNAL_PROVIDERS = ['google', 'github'] as const;
export type ExternalProvider = (typeof EXTERNAL_PROVIDERS)[number];

/** A Google or GitHub identity (provider + subject) now logs in as this user; found by subject from then on. */
export class ExternalIdentityLinked extends defineEvent(
  'user.external_identity_linked',
  z.object({
    userId: z.string().uuid(),
    accountId: z.string().uuid(),
    identityId: z.string().uuid(),
    provider: z.enum(EXTERNAL_PROVIDERS),
    subject: z.string().min(1).max(255),
    /** The provider's verified email that made the link. */
    email: z.string().max(320),
  }),
) {}

export class ExternalIdentityUnlinked extends defineEvent(
  'user.external_identity_unlinked',
  z.object({ userId: z.string().uuid(), accountId: z.string().uuid(), identityId: z.string().uuid(), provider: z.enum(EXTERNAL_PROVIDERS), subject: z.string() }),
) {}

export const USER_EVENTS = [
  UserRegistered,
  PasswordChanged,
  UserPreferencesChanged,
  UserAccessChanged,
  UserLockedOut,
  UserUnlocked,
  SsoGroupsChanged,
  ExternalIdentityLinked,
  ExternalIdentityUnlinked,
];
