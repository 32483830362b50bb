import { Injectable, Logger } from '@nestjs/common';
import { AggregateRepository } from '@latchkey/event-store';
import { InvalidAccessTokenError, PasswordHasher } from '@latchkey/security';
import { LoginThrottle } from '../login/login-throttle';
import { normalizeLogin } from '../shared/contact';
import { NoPasswordError, ReauthenticationFailedError, SsoRequiredError } from '../shared/errors';
import { IdentityReadModels, type UserRow } from '../shared/read-models';
import { Session } from './session.aggregate';

/**
 * The password of a session's user, entered again in that session (to reauthenticate, to
 * change it). Checked through the login's throttles: the attempt takes a place in the user's
 * email window (in their account) and the caller's IP window before the hash, a full window is
 * 429 unhashed, a wrong password stays counted (the one that fills the window locks the user
 * out) and a right one clears the user's window — so a stolen session is no faster way to guess
 * the password than the login page.
 */
@Injectable()
export class SessionPassword {
  private readonly logger = new Logger(SessionPassword.name);

  constructor(
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
  ) {}

  /**
   * The session's user when `password` is theirs. A wrong one is recorded on the session
   * (`SessionReauthenticationFailed`) and thrown: 400 `wrong-password`, or 429 when it
   * filled the window. A user without a password (SSO, Google, GitHub): `NoPasswordError`; of
   * an account that enforces SSO: `SsoRequiredError`. `beforeHash` runs after those, before the
   * throttles: a refusal of its own costs the user nothing.
   */
  async check(input: { userId: string; sessionId: string; password: string; ip: string | null }, beforeHash: (user: UserRow) => void | Promise<void> = () => undefined): Promise<UserRow> {
    const found = await this.read.userWithSsoRule(input.userId);
    if (!found) throw new InvalidAccessTokenError('session_ended');
    const { user, enforceSso } = found;
    // An account that logs in with SSO only does not take its users' passwords either.
    if (enforceSso) throw new SsoRequiredError();
    if (!user.passwordHash) throw new NoPasswordError();
    // The caller's own requirement (the session's trusted device, the new password's rules), before any place is taken.
    await beforeHash(user);
    const places = await this.throttle.reserve(input.ip, [{ key: this.throttle.key(normalizeLogin(user.email), user.accountId), userId: user.id }]);
    let right: boolean;
    try {
      right = await this.hasher.verify(user.passwordHash, input.password);
    } catch (error) {
      await places.notChecked();
      throw error;
    }
    if (!right) {
      // The answer is the throttle's whatever becomes of the record (the places stay counted).
      await this.record(input.sessionId, user.id, false).catch((error: Error) => this.logger.warn(`could not record a failed reauthentication: ${error.message}`));
      return places.failed(new ReauthenticationFailedError());
    }
    await places.succeeded(() => true);
    return user;
  }

  /** Appends the check's outcome to the session; false when the session is gone or ended. */
  record(sessionId: string, userId: string, succeeded: boolean): Promise<boolean> {
    return this.repository.retrying(async () => {
      const row = await this.read.sessionById(sessionId);
      if (!row || row.userId !== userId) return false;
      const session = Session.fromRow(row);
      if (!session.reauthenticate(succeeded)) return false;
      await this.repository.save(session);
      return true;
    });
  }
}
