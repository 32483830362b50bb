import { EventSourcedAggregate, type DomainEvent } from '@latchkey/event-store';
import { SessionReauthenticated, SessionReauthenticationFailed, SessionRefreshed, SessionRevoked, SessionStarted } from './session.events';

interface SessionState {
  started: boolean;
  userId: string | null;
  accountId: string | null;
  currentTokenHash: string | null;
  expiresAt: Date | null;
  revoked: boolean;
}

export type RefreshDecision = 'rotated' | 'reused' | 'expired' | 'revoked' | 'unknown';

/** A logged-in session: its refresh token rotates on every use; a spent one coming back kills it. */
export class Session extends EventSourcedAggregate<SessionState> {
  get streamType(): string {
    return 'session';
  }

  protected initialState(): SessionState {
    return { started: false, userId: null, accountId: null, currentTokenHash: null, expiresAt: null, revoked: false };
  }

  protected evolve(state: SessionState, event: DomainEvent): SessionState {
    if (event instanceof SessionStarted) {
      return {
        ...state,
        started: true,
        userId: event.data.userId,
        accountId: event.data.accountId,
        currentTokenHash: event.data.refreshTokenHash,
        expiresAt: new Date(event.data.expiresAt),
      };
    }
    if (event instanceof SessionRefreshed) {
      return {
        ...state,
        currentTokenHash: event.data.refreshTokenHash,
        expiresAt: new Date(event.data.expiresAt),
      };
    }
    if (event instanceof SessionRevoked) return { ...state, revoked: true };
    return state;
  }

  get userId(): string | null {
    return this.state.userId;
  }

  get accountId(): string | null {
    return this.state.accountId;
  }

  get active(): boolean {
    return this.state.started && !this.state.revoked;
  }

  start(input: Omit<SessionStarted['data'], 'sessionId'>): void {
    this.apply(new SessionStarted({ sessionId: this.id, ...input }));
  }

  /** State as the sessions read model holds it (refreshes skip replaying long streams). */
  static fromRow(row: { id: string; userId: string; accountId: string; refreshTokenHash: string; expiresAt: Date; revoked: boolean; version: number }): Session {
    return new Session(row.id).hydrate(
      { started: true, userId: row.userId, accountId: row.accountId, currentTokenHash: row.refreshTokenHash, expiresAt: row.expiresAt, revoked: row.revoked },
      row.version,
    );
  }

  /**
   * Presenting a refresh token: the current one rotates; one this session already spent means
   * it was stolen or replayed, so the whole session ends.
   */
  refresh(presentedHash: string, presentedWasSpentHere: boolean, newHash: string, newExpiry: Date, now: Date): RefreshDecision {
    if (!this.state.started) return 'unknown';
    if (this.state.revoked) return 'revoked';
    if (presentedHash === this.state.currentTokenHash) {
      if (this.state.expiresAt && this.state.expiresAt <= now) return 'expired';
      this.apply(
        new SessionRefreshed({
          sessionId: this.id,
          userId: this.state.userId!,
          refreshTokenHash: newHash,
          previousTokenHash: presentedHash,
          expiresAt: newExpiry.toISOString(),
        }),
      );
      return 'rotated';
    }
    if (presentedWasSpentHere) {
      this.revoke('refresh_token_reuse');
      return 'reused';
    }
    return 'unknown';
  }

  /** The user's password, entered again in this session, was right (or not); nothing for an ended session. */
  reauthenticate(succeeded: boolean): boolean {
    if (!this.active) return false;
    const data = { sessionId: this.id, userId: this.state.userId! };
    this.apply(succeeded ? new SessionReauthenticated(data) : new SessionReauthenticationFailed(data));
    return true;
  }

  revoke(reason: SessionRevoked['data']['reason']): boolean {
    if (!this.active) return false;
    this.apply(new SessionRevoked({ sessionId: this.id, userId: this.state.userId!, reason }));
    return true;
  }
}
