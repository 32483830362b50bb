import { defineEvent } from '@latchkey/event-store';
import { z } from 'zod';

/** The device token itself goes to the client once; only its SHA-256 is kept. */
export class DeviceAuthorized extends defineEvent(
  'device.authorized',
  z.object({
    deviceId: z.string().uuid(),
    userId: z.string().uuid(),
    accountId: z.string().uuid(),
    tokenHash: z.string().length(64),
    name: z.string().max(200).nullable(),
    userAgent: z.string().max(512).nullable(),
    ip: z.string().max(64).nullable(),
    loginId: z.string().uuid(),
    expiresAt: z.string().datetime(),
  }),
  { secretFields: ['tokenHash'] },
) {}

export class DeviceRevoked extends defineEvent(
  'device.revoked',
  z.object({ deviceId: z.string().uuid(), userId: z.string().uuid(), reason: z.enum(['user', 'admin', 'password_reset']) }),
) {}

export const DEVICE_EVENTS = [DeviceAuthorized, DeviceRevoked];
