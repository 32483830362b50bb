import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { Clock } from '@latchkey/event-store';
import { IdentityReadModels } from '../../shared/read-models';

export interface SessionView {
  id: string;
  method: string;
  startedAt: string;
  /** The last refresh, or the start. */
  lastActiveAt: string;
  expiresAt: string;
  /** The trusted device the session was started on, if any. */
  device: { id: string; name: string | null; userAgent: string | null } | null;
  /** The session of the token that asks. */
  current: boolean;
}

export class ListSessionsQuery extends Query<SessionView[]> {
  constructor(
    readonly userId: string,
    readonly currentSessionId: string,
  ) {
    super();
  }
}

/** The user's sessions that still work: where they are signed in, to end the ones they do not know. */
@QueryHandler(ListSessionsQuery)
export class ListSessionsHandler implements IQueryHandler<ListSessionsQuery, SessionView[]> {
  constructor(
    private readonly read: IdentityReadModels,
    private readonly clock: Clock,
  ) {}

  async execute(query: ListSessionsQuery): Promise<SessionView[]> {
    const rows = await this.read.activeSessions(query.userId, this.clock.now());
    return rows.map((s) => ({
      id: s.id,
      method: s.method,
      startedAt: s.startedAt.toISOString(),
      lastActiveAt: (s.refreshedAt ?? s.startedAt).toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      device: s.deviceId ? { id: s.deviceId, name: s.deviceName, userAgent: s.deviceUserAgent } : null,
      current: s.id === query.currentSessionId,
    }));
  }
}
