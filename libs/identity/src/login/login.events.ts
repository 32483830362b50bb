import { defineEvent } from '@latchkey/event-store';
import { z } from 'zod';
import { CHANNELS } from '../shared/roles';

const channel = z.enum(CHANNELS);

export const LOGIN_OUTCOMES = ['authenticated', 'otp_required', 'account_selection_required', 'groups_confirmation_required', 'failed', 'rejected'] as const;

/**
 * One attempt to log in: how it ended and why. Never the password. `login` is the identifier
 * as typed (normalized), kept so failed attempts on unknown logins are auditable.
 */
export class LoginAttempted extends defineEvent(
  'login.attempted',
  z.object({
    loginId: z.string().uuid(),
    method: z.enum(['password', 'sso', 'google', 'github']),
    login: z.string().max(320),
    outcome: z.enum(LOGIN_OUTCOMES),
    reason: z.string().nullable(),
    userId: z.string().uuid().nullable(),
    accountId: z.string().uuid().nullable(),
    /** For account selection: the users whose password matched. */
    /** `userVersion`: the user's version the password (or IdP) was checked against, as for `TwoFactorRequired`. */
    candidates: z.array(z.object({ userId: z.string().uuid(), accountId: z.string().uuid(), userVersion: z.number().int().nonnegative().optional() })).optional(),
    selectionExpiresAt: z.string().datetime().optional(),
    /** The interface language picked on the login page; becomes the user's preference once the user is known. */
    locale: z.string().max(35).optional(),
    /**
     * For account selection: the SHA-256 of the device token the login step was given (body,
     * header or cookie), so that the step after the choice knows the device too.
     */
    deviceTokenHash: z.string().length(64).optional(),
    /** SHA-256 of the IP and user agent of that step: the device counts only for a choice made from the same client. */
    deviceClientHash: z.string().length(64).optional(),
  }),
  { secretFields: ['deviceTokenHash', 'deviceClientHash'] },
) {}

/** After an account was picked, or with a right code: that user may not log in (disabled, no web access, SSO only). */
export class LoginRejected extends defineEvent(
  'login.rejected',
  z.object({ loginId: z.string().uuid(), userId: z.string().uuid(), reason: z.string() }),
) {}

export class AccountSelected extends defineEvent(
  'login.account_selected',
  z.object({ loginId: z.string().uuid(), userId: z.string().uuid(), accountId: z.string().uuid() }),
) {}

export class TwoFactorRequired extends defineEvent(
  'login.two_factor_required',
  z.object({
    loginId: z.string().uuid(),
    userId: z.string().uuid(),
    reason: z.enum(['new_device', 'device_revoked', 'device_expired', 'connection_policy']),
    /**
     * The user's version the password (or IdP) was checked against: a change that ended the
     * user's sessions after it (new password, disabled, web access removed) voids the code.
     * Absent in events written before it existed.
     */
    userVersion: z.number().int().nonnegative().optional(),
  }),
) {}

export class TwoFactorSkipped extends defineEvent(
  'login.two_factor_skipped',
  z.object({ loginId: z.string().uuid(), userId: z.string().uuid(), deviceId: z.string().uuid().nullable(), reason: z.enum(['trusted_device', 'idp_mfa']) }),
) {}

const challengeFields = {
  loginId: z.string().uuid(),
  userId: z.string().uuid(),
  accountId: z.string().uuid(),
  channel,
  /** Masked for display: "+385*****21", "j***@example.com". */
  destination: z.string(),
  /** HMAC of the code, for verification. */
  codeHash: z.string(),
  /** `{code, destination, locale}` sealed with the keyring, for the worker that delivers it. */
  sealed: z.string(),
  expiresAt: z.string().datetime(),
  resendAvailableAt: z.string().datetime(),
};

export class OtpChallengeIssued extends defineEvent(
  'login.otp_challenge_issued',
  z.object({ ...challengeFields, availableChannels: z.array(channel).min(1) }),
  { secretFields: ['codeHash', 'sealed'] },
) {}

/** A new code (maybe on another channel); the earlier one stops working. */
export class OtpResent extends defineEvent('login.otp_resent', z.object(challengeFields), { secretFields: ['codeHash', 'sealed'] }) {}

export class OtpVerified extends defineEvent(
  'login.otp_verified',
  z.object({
    loginId: z.string().uuid(),
    userId: z.string().uuid(),
    trustDevice: z.boolean(),
    /** Where the right code went: a code verified from an email proves the address. Absent in events written before it existed. */
    channel: channel.optional(),
  }),
) {}

export class OtpVerificationFailed extends defineEvent(
  'login.otp_verification_failed',
  z.object({ loginId: z.string().uuid(), userId: z.string().uuid(), attemptsLeft: z.number().int().min(0) }),
) {}

/** A provider accepted a code (the worker records it before acknowledging its job). */
export class OtpDelivered extends defineEvent(
  'login.otp_delivered',
  z.object({
    loginId: z.string().uuid(),
    /** Whose code it was: the delivery shows in that user's history (absent in events written before the field existed). */
    userId: z.string().uuid().optional(),
    channel,
    provider: z.string(),
    providerMessageId: z.string(),
    /** The OtpChallengeIssued / OtpResent event this delivery sent. */
    sourceEventId: z.string().uuid(),
  }),
) {}

/** A code could not be delivered (refused by the provider, or retries exhausted). */
export class DeliveryFailed extends defineEvent(
  'login.delivery_failed',
  z.object({ loginId: z.string().uuid(), userId: z.string().uuid().optional(), channel, reason: z.string().max(200), sourceEventId: z.string().uuid() }),
) {}

/** A send was not attempted: SMS-pumping caps or the country allow-list. */
export class DeliveryBlocked extends defineEvent(
  'login.delivery_blocked',
  z.object({ loginId: z.string().uuid(), userId: z.string().uuid(), channel, reason: z.enum(['number_daily_cap', 'country_not_allowed', 'user_hourly_cap']) }),
) {}

/**
 * The IdP's response passed every check (signature, audience, destination, recipient, time,
 * InResponseTo, replay) and named this person. The login then follows the usual rules.
 */
export class SsoLoginSucceeded extends defineEvent(
  'login.sso_succeeded',
  z.object({
    loginId: z.string().uuid(),
    connectionId: z.string().uuid(),
    /** The connection's own account. */
    accountId: z.string().uuid(),
    email: z.string().max(320),
    /** The IdP's group list for the user; null when the IdP sent none (then nothing is synced). */
    groups: z.array(z.string()).nullable(),
  }),
) {}

/** A SAML login refused: the response failed a check (`reason` says which), or nobody matched. */
export class SsoLoginRejected extends defineEvent(
  'login.sso_rejected',
  z.object({
    loginId: z.string().uuid(),
    connectionId: z.string().uuid(),
    accountId: z.string().uuid(),
    reason: z.string().max(300),
  }),
) {}

/** The IdP's groups differ from those last applied; the user must confirm before anything changes. */
export class GroupsConfirmationRequired extends defineEvent(
  'login.groups_confirmation_required',
  z.object({
    loginId: z.string().uuid(),
    userId: z.string().uuid(),
    accountId: z.string().uuid(),
    added: z.array(z.string()),
    removed: z.array(z.string()),
    expiresAt: z.string().datetime(),
    /** As for `TwoFactorRequired`: the user's version the IdP's assertion was checked against. */
    userVersion: z.number().int().nonnegative().optional(),
  }),
) {}

/** "I understand": the user accepted the group changes (applied by SsoGroupsChanged on the user). */
export class GroupsConfirmed extends defineEvent('login.groups_confirmed', z.object({ loginId: z.string().uuid(), userId: z.string().uuid() })) {}

/**
 * Google or GitHub vouched for this identity (state, PKCE, nonce and the ID token checked). The
 * login then follows the usual rules.
 */
export class ExternalIdentityAsserted extends defineEvent(
  'login.external_identity_asserted',
  z.object({
    loginId: z.string().uuid(),
    provider: z.enum(['google', 'github']),
    subject: z.string().min(1).max(255),
    /** The provider's email for the identity, and whether the provider verified it. */
    email: z.string().max(320).nullable(),
    emailVerified: z.boolean(),
  }),
) {}

export const LOGIN_EVENTS = [
  ExternalIdentityAsserted,
  SsoLoginSucceeded,
  SsoLoginRejected,
  GroupsConfirmationRequired,
  GroupsConfirmed,
  LoginAttempted,
  LoginRejected,
  AccountSelected,
  TwoFactorRequired,
  TwoFactorSkipped,
  OtpChallengeIssued,
  OtpResent,
  OtpVerified,
  OtpVerificationFailed,
  OtpDelivered,
  DeliveryFailed,
  DeliveryBlocked,
];
