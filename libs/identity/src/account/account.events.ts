import { defineEvent } from '@latchkey/event-store';
import { z } from 'zod';

export class AccountCreated extends defineEvent(
  'account.created',
  z.object({ accountId: z.string().uuid(), name: z.string().min(1).max(200) }),
) {}

export const ACCOUNT_EVENTS = [AccountCreated];
