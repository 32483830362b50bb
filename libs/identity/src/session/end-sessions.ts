import type { UnitOfWork } from '@latchkey/event-store';
import type { IdentityReadModels } from '../shared/read-models';
import { Session } from './session.aggregate';
import type { SessionRevoked } from './session.events';

/**
 * Revokes every active session of a user in the command's unit of work (a new password, a
 * disabled user, web access taken away): read in one query, each appended at the version read,
 * so a session refreshed meanwhile makes the command run again on fresh state.
 */
export async function endSessions(read: IdentityReadModels, uow: UnitOfWork, userId: string, reason: SessionRevoked['data']['reason']): Promise<void> {
  for (const row of await read.activeSessionRows(userId, uow.sql)) uow.add(Session.fromRow(row)).revoke(reason);
}
