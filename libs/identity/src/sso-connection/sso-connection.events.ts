import { defineEvent } from '@latchkey/event-store';
import { z } from 'zod';

/** What an account admin sets on a SAML connection (API.md "Admin REST", sso-connections). */
export const connectionSettings = z.object({
  identifier: z.string(),
  idpEntityId: z.string(),
  idpSsoUrl: z.string(),
  /** PEM; two during a certificate rotation. Public material, not secret. */
  idpCertificates: z.array(z.string()).min(1).max(2),
  emailDomains: z.array(z.string()),
  sharedWithAccountIds: z.array(z.string().uuid()),
  autoCreateUsers: z.boolean(),
  autoCreateGroups: z.boolean(),
  groupsAttribute: z.string(),
  emailAttribute: z.string(),
  enforceSso: z.boolean(),
  requireOtpOnNewDevice: z.boolean(),
  allowIdpInitiated: z.boolean(),
});
export type ConnectionSettings = z.infer<typeof connectionSettings>;

export class SsoConnectionConfigured extends defineEvent(
  'sso.connection_configured',
  connectionSettings.extend({ connectionId: z.string().uuid(), accountId: z.string().uuid() }),
) {}

/** Only the settings that changed. */
export class SsoConnectionUpdated extends defineEvent(
  'sso.connection_updated',
  connectionSettings.partial().extend({ connectionId: z.string().uuid(), accountId: z.string().uuid() }),
) {}

export class SsoConnectionRemoved extends defineEvent(
  'sso.connection_removed',
  z.object({ connectionId: z.string().uuid(), accountId: z.string().uuid(), identifier: z.string() }),
) {}

/** An admin of an account the connection is shared with agreed to use it (sharing needs both sides). */
export class SsoConnectionJoined extends defineEvent(
  'sso.connection_joined',
  z.object({ connectionId: z.string().uuid(), accountId: z.string().uuid() }),
) {}

/** That account stops using it (its admin left, or the owner stopped sharing with it). */
export class SsoConnectionLeft extends defineEvent(
  'sso.connection_left',
  z.object({ connectionId: z.string().uuid(), accountId: z.string().uuid() }),
) {}

export const SSO_CONNECTION_EVENTS = [SsoConnectionConfigured, SsoConnectionUpdated, SsoConnectionRemoved, SsoConnectionJoined, SsoConnectionLeft];
