import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@latchkey/config';
import { AggregateRepository, Clock } from '@latchkey/event-store';
import { RateLimiter, SecretBox, type Reservation } from '@latchkey/security';
import { LoginThrottledError } from '../shared/errors';
import { User } from '../user/user.aggregate';

/**
 * A login's failure window: one per user the login names (the login as typed, in that user's
 * account), or one for the login alone when it names nobody. Keys hold no personal data in
 * clear: a keyed hash.
 */
export function loginThrottleKey(box: SecretBox, normalizedLogin: string, accountId?: string): string {
  return `login-failures:login:${box.hmac('rate-limit', accountId ? `${accountId}/${normalizedLogin}` : normalizedLogin)}`;
}

/**
 * Set once a window's lock-out is recorded, for as long as it holds: several failures can each
 * see the window full (places given back by attempts that were never checked are taken again),
 * and the lock-out is one event. Cleared with the window's failures (a right password, an unlock).
 */
export function lockoutRecordedKey(loginKey: string): string {
  return `${loginKey}:locked-out`;
}

export function ipThrottleKey(box: SecretBox, ip: string | null): string {
  return `login-failures:ip:${box.hmac('rate-limit', ip ?? 'unknown')}`;
}

/** A login window and the user it counts for (none for a login that names nobody). */
export interface FailureWindow {
  key: string;
  userId?: string;
}

/**
 * A password check's places in the failure windows, taken before the check (see
 * `LoginThrottle.reserve`); one of `notChecked`, `failed` or `succeeded` settles them.
 */
export class PasswordAttempt {
  constructor(
    private readonly throttle: LoginThrottle,
    private readonly windows: readonly FailureWindow[],
    private readonly byIp: Reservation,
    private readonly byLogin: readonly Reservation[],
  ) {}

  /** Whether window i had room: only its user's password may be checked. */
  open(i: number): boolean {
    return this.byLogin[i]!.allowed;
  }

  /** Some window was full: its user was not checked, so a failure is the throttle's 429, not a wrong password. */
  get someFull(): boolean {
    return this.byLogin.some((r) => !r.allowed);
  }

  /** The password was not checked (no hashing slot, a failed read): not a failure either. */
  async notChecked(): Promise<void> {
    await Promise.allSettled([this.byIp, ...this.byLogin].map((r) => r.release()));
  }

  /**
   * The password was wrong for every user checked: the places stay counted, and the failure
   * that filled a user's window locks them out (recorded once). Throws the answer: 429 when a
   * user was not checked because their window is full ("wrong password" would be untrue for
   * them), else `wrongPassword`.
   */
  async failed(wrongPassword: Error): Promise<never> {
    await this.recordLockOuts(() => true);
    if (this.someFull) throw new LoginThrottledError({ retryAfterSeconds: this.throttle.retryAfter(this.byLogin) });
    throw wrongPassword;
  }

  /**
   * The password was right for the users of `matched` (window indexes): their failures are
   * cleared (this attempt's place with them) and the IP's place is given back. For every other
   * user it was checked against, it was a wrong password and stays counted: anyone can sign up
   * an account with someone's email, and if checks that matched their own user did not count
   * against the other's, they could try a password a time on the other user without end (a
   * review did, changing their own password to each guess). The cost: a person with users in
   * several accounts who logs in to one often fills the window of the other.
   */
  async succeeded(matched: (i: number) => boolean): Promise<void> {
    await Promise.all([this.byIp.release(), ...this.windows.flatMap((w, i) => (w.userId && matched(i) ? [this.throttle.clear(w.key)] : []))]);
    await this.recordLockOuts((i) => !matched(i));
  }

  /** Lock-outs of the users of `failedFor` whose windows this attempt filled. */
  private async recordLockOuts(failedFor: (i: number) => boolean): Promise<void> {
    // A login that named several users (an email in several accounts) is no account's business
    // in particular: its lock-outs are recorded without the client's address, which one account's
    // audit would otherwise show of a user of another.
    const shared = this.windows.length > 1;
    for (const [i, window] of this.windows.entries()) {
      const reservation = this.byLogin[i]!;
      if (failedFor(i) && reservation.allowed && reservation.count === this.throttle.maxFailures) await this.throttle.lockOut(window, reservation, shared);
    }
  }
}

/**
 * Login failures in Redis, per login (a window per user it names) and per client IP: whatever
 * checks a password takes its places first, so throttled callers are refused before any hash.
 */
@Injectable()
export class LoginThrottle {
  private readonly logger = new Logger(LoginThrottle.name);

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly limiter: RateLimiter,
    private readonly box: SecretBox,
    private readonly repository: AggregateRepository,
  ) {}

  get maxFailures(): number {
    return this.config.throttle.maxFailuresPerLogin;
  }

  /** The window of a login for the user of `accountId` it names, or of a login that names nobody. */
  key(normalizedLogin: string, accountId?: string): string {
    return loginThrottleKey(this.box, normalizedLogin, accountId);
  }

  /**
   * Takes a place in the IP's window and in each login window, as a failure until the password
   * proves right: attempts sent at once each take one, so no more than the limit are ever
   * checked. Refused (`LoginThrottledError`) when the IP's window is full or every login window is.
   */
  async reserve(ip: string | null, windows: readonly FailureWindow[]): Promise<PasswordAttempt> {
    const { maxFailuresPerLogin, maxFailuresPerIp, failureWindowSeconds } = this.config.throttle;
    const reservations = await Promise.allSettled([
      this.limiter.reserve(ipThrottleKey(this.box, ip), maxFailuresPerIp, failureWindowSeconds),
      ...windows.map((w) => this.limiter.reserve(w.key, maxFailuresPerLogin, failureWindowSeconds)),
    ]);
    const releaseAll = () => Promise.allSettled(reservations.map((r) => (r.status === 'fulfilled' ? r.value.release() : undefined)));
    const failed = reservations.find((r) => r.status === 'rejected');
    if (failed) {
      // A reservation failed (Redis): the others give their places back.
      await releaseAll();
      throw failed.reason;
    }
    const [byIp, ...byLogin] = reservations.map((r) => (r as PromiseFulfilledResult<Reservation>).value);
    if (!byIp!.allowed || byLogin.every((r) => !r.allowed)) {
      await releaseAll();
      throw new LoginThrottledError({ retryAfterSeconds: Math.max(byIp!.allowed ? 0 : byIp!.retryAfterSeconds, this.retryAfter(byLogin)) });
    }
    return new PasswordAttempt(this, windows, byIp!, byLogin);
  }

  /** When every full window has room again (Math.max: the user who asks may be any of them). */
  retryAfter(byLogin: readonly Reservation[]): number {
    return Math.max(0, ...byLogin.filter((r) => !r.allowed).map((r) => r.retryAfterSeconds));
  }

  /** Forgets a window's failures and its lock-out marker (a right password, an unlock). */
  clear(...keys: string[]): Promise<void> {
    return this.limiter.reset(...keys, ...keys.map(lockoutRecordedKey));
  }

  /**
   * Records a filled window's lock-out on its user, once however many failures see it full;
   * `withoutClient`: without the client's address and user agent.
   */
  async lockOut(window: FailureWindow, reservation: Reservation, withoutClient = false): Promise<void> {
    try {
      const first = await this.limiter.hit(lockoutRecordedKey(window.key), 1, reservation.retryAfterSeconds);
      if (!first.allowed || !window.userId) return;
      const until = new Date(this.clock.now().getTime() + reservation.retryAfterSeconds * 1000);
      await this.repository.update(User, window.userId, (user) => user.lockOut(reservation.count, until), withoutClient ? { metadata: { ip: null, userAgent: null } } : {});
    } catch (error) {
      // The failure is counted; only its record in the user's history is missing.
      this.logger.warn(`could not record a lock-out: ${(error as Error).message}`);
    }
  }
}
