import { defineEvent } from '@latchkey/event-store';
import { z } from 'zod';

export const RESET_INITIATORS = ['self', 'admin', 'invitation'] as const;

/**
 * A reset (or invitation) link was issued. Only the token's SHA-256 is kept for checking; the
 * token itself rides sealed for the worker that sends the email.
 */
export class ResetRequested extends defineEvent(
  'reset.requested',
  z.object({
    resetId: z.string().uuid(),
    userId: z.string().uuid(),
    accountId: z.string().uuid(),
    initiatedBy: z.enum(RESET_INITIATORS),
    adminId: z.string().uuid().nullable(),
    tokenHash: z.string().length(64),
    /** `{token, email, locale, kind}` sealed with the keyring, for the email worker. */
    sealed: z.string(),
    expiresAt: z.string().datetime(),
  }),
  { secretFields: ['tokenHash', 'sealed'] },
) {}

/** The link was used: the password changed through it. */
export class ResetCompleted extends defineEvent(
  'reset.completed',
  z.object({ resetId: z.string().uuid(), userId: z.string().uuid() }),
) {}

/** A request that sent nothing: the user's hourly allowance of reset emails is spent. */
export class ResetDeliveryBlocked extends defineEvent(
  'reset.delivery_blocked',
  z.object({ resetId: z.string().uuid(), userId: z.string().uuid(), reason: z.enum(['user_hourly_cap']) }),
) {}

/** The email provider accepted the reset or invitation email. */
export class ResetEmailSent extends defineEvent(
  'reset.email_sent',
  // userId: whose link it was, for their history (absent in events written before the field existed).
  z.object({ resetId: z.string().uuid(), userId: z.string().uuid().optional(), provider: z.string(), providerMessageId: z.string(), sourceEventId: z.string().uuid() }),
) {}

export class ResetEmailFailed extends defineEvent(
  'reset.email_failed',
  z.object({ resetId: z.string().uuid(), userId: z.string().uuid().optional(), reason: z.string().max(200), sourceEventId: z.string().uuid() }),
) {}

export const RESET_EVENTS = [ResetRequested, ResetCompleted, ResetDeliveryBlocked, ResetEmailSent, ResetEmailFailed];
