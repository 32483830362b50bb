import { Session } from './session.aggregate';
import { SessionReauthenticated, SessionReauthenticationFailed, SessionRevoked } from './session.events';

const row = { id: '3f1c1a2e-0a4b-4c5d-8e6f-7a8b9c0d1e2f', userId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', accountId: '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e' };
const session = (revoked = false) =>
  Session.fromRow({ ...row, refreshTokenHash: 'a'.repeat(64), expiresAt: new Date(Date.now() + 3_600_000), revoked, version: 3 });

describe('Session.reauthenticate', () => {
  it('records a right or a wrong password entered again in an active session', () => {
    const right = session();
    expect(right.reauthenticate(true)).toBe(true);
    expect(right.getUncommittedEvents()).toEqual([new SessionReauthenticated({ sessionId: row.id, userId: row.userId })]);
    const wrong = session();
    expect(wrong.reauthenticate(false)).toBe(true);
    expect(wrong.getUncommittedEvents()).toEqual([new SessionReauthenticationFailed({ sessionId: row.id, userId: row.userId })]);
  });

  it('records nothing for an ended session (its token is no longer good)', () => {
    const ended = session(true);
    expect(ended.reauthenticate(true)).toBe(false);
    expect(ended.getUncommittedEvents()).toEqual([]);
    const revokedNow = session();
    revokedNow.revoke('user');
    expect(revokedNow.reauthenticate(true)).toBe(false);
    expect(revokedNow.getUncommittedEvents()).toEqual([new SessionRevoked({ sessionId: row.id, userId: row.userId, reason: 'user' })]);
  });
});
