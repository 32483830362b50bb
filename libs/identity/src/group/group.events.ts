import { defineEvent } from '@latchkey/event-store';
import { z } from 'zod';

export class GroupCreated extends defineEvent(
  'group.created',
  z.object({ groupId: z.string().uuid(), accountId: z.string().uuid(), name: z.string().min(1).max(200), source: z.enum(['sso', 'local']) }),
) {}

export const GROUP_EVENTS = [GroupCreated];
