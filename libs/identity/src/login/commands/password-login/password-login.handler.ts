import { Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AppConfig } from '@latchkey/config';
import { AggregateRepository, Clock, IdGenerator } from '@latchkey/event-store';
import { PasswordHasher, RateLimiter, SecretBox, sha256, type Reservation } from '@latchkey/security';
import { normalizeLogin } from '../../../shared/contact';
import { InvalidCredentialsError, LoginThrottledError } from '../../../shared/errors';
import { IdentityReadModels, type LoginCandidate } from '../../../shared/read-models';
import { User } from '../../../user/user.aggregate';
import { Login } from '../../login.aggregate';
import { LoginFinisher } from '../../login-finisher';
import { accountChoice, offeredDevice, type LoginResult } from '../../login-result';
import { PasswordLoginCommand } from './password-login.command';

/** An email can belong to users in several accounts; at most this many passwords are checked per attempt. */
export const MAX_ACCOUNTS_PER_EMAIL = 10;
/** How long an account choice stays open. */
export const SELECTION_TTL_SECONDS = 600;

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

@CommandHandler(PasswordLoginCommand)
export class PasswordLoginHandler implements ICommandHandler<PasswordLoginCommand, LoginResult> {
  private readonly logger = new Logger(PasswordLoginHandler.name);

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
    private readonly hasher: PasswordHasher,
    private readonly limiter: RateLimiter,
    private readonly box: SecretBox,
    private readonly finisher: LoginFinisher,
  ) {}

  async execute(command: PasswordLoginCommand): Promise<LoginResult> {
    const login = normalizeLogin(command.login);
    const { maxFailuresPerLogin, maxFailuresPerIp, failureWindowSeconds } = this.config.throttle;
    const deviceHash = command.client.deviceToken ? sha256(command.client.deviceToken) : undefined;
    const candidates = await this.read.loginCandidates(login.includes('@') ? 'email' : 'username', login, MAX_ACCOUNTS_PER_EMAIL, deviceHash ?? null);

    // Throttled callers are refused before any password is hashed. Every attempt counts as a
    // failure from here until its password proves right: attempts sent at once each take a place
    // in the windows, so no more than the limit are ever checked. A login has a window per user
    // it names: an email can be a user's in several accounts (anyone can sign up an account with
    // someone's email), and guesses at one of them, a right password or an admin's unlock in one
    // account, must not open or close the other's.
    const windows = candidates.length === 0 ? [{ key: loginThrottleKey(this.box, login), candidate: undefined }] : candidates.map((candidate) => ({ key: loginThrottleKey(this.box, login, candidate.user.accountId), candidate }));
    const reservations = await Promise.allSettled([
      this.limiter.reserve(ipThrottleKey(this.box, command.client.ip), maxFailuresPerIp, failureWindowSeconds),
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
    const full = byLogin.filter((r) => !r.allowed);
    const loginRetryAfter = Math.max(0, ...full.map((r) => r.retryAfterSeconds));
    if (!byIp.allowed || full.length === byLogin.length) {
      await releaseAll();
      throw new LoginThrottledError({ retryAfterSeconds: Math.max(byIp.allowed ? 0 : byIp.retryAfterSeconds, loginRetryAfter) });
    }

    // Only the users whose windows have room are checked.
    const open = windows.filter((_, i) => byLogin[i]!.allowed).flatMap((w) => (w.candidate ? [w.candidate] : []));
    let matches: LoginCandidate[];
    try {
      matches = await this.matching(open, command.password);
    } catch (error) {
      // Not checked (the bound on hashes at once): not a failure either.
      await releaseAll();
      throw error;
    }
    const attempt = new Login(this.ids.next());

    if (matches.length === 0) {
      const single = candidates.length === 1 ? candidates[0] : undefined;
      attempt.attempt({
        method: 'password',
        login,
        outcome: 'failed',
        reason: candidates.length === 0 ? 'unknown_login' : 'wrong_password',
        userId: single?.user.id ?? null,
        accountId: single?.user.accountId ?? null,
      });
      await this.repository.save(attempt);
      // The failure that filled a user's window locks them out; record it (once).
      for (const [i, window] of windows.entries()) {
        if (byLogin[i]!.allowed && byLogin[i]!.count === maxFailuresPerLogin) await this.lockOut(window.key, window.candidate, byLogin[i]!);
      }
      // A user of this email whose window is full was not checked: the truthful answer is the
      // throttle's, not "wrong password" (also for an attempt that the others' windows let through).
      if (full.length > 0) throw new LoginThrottledError({ retryAfterSeconds: loginRetryAfter });
      throw new InvalidCredentialsError();
    }

    // A right password clears its user's failures (this attempt's place with them); the places it
    // took in the other users' windows and in the IP's are given back. A right password for one
    // user says nothing of the guesses at another's (their failures stay).
    await Promise.all([
      byIp.release(),
      ...windows.map((w, i) => (w.candidate && matches.includes(w.candidate) ? this.limiter.reset(w.key, lockoutRecordedKey(w.key)) : byLogin[i]!.release())),
    ]);

    if (matches.length > 1) {
      const users = matches.map((m) => m.user);
      const names = await this.read.accountNames(users.map((u) => u.accountId));
      const expiresAt = new Date(this.clock.now().getTime() + SELECTION_TTL_SECONDS * 1000);
      attempt.offerAccounts('password', login, users.map((u) => ({ userId: u.id, accountId: u.accountId, userVersion: u.version })), expiresAt, command.locale, offeredDevice(command.client));
      await this.repository.save(attempt);
      return accountChoice(attempt.id, users, names);
    }

    const [{ user, enforceSso, device }] = matches;
    const outcome = await this.finisher.finish(attempt, user, command.client, {
      method: 'password',
      login,
      afterSelection: false,
      locale: command.locale,
      secondFactor: 'new_device',
      known: { enforceSso, device },
    });
    return this.finisher.complete(outcome);
  }

  /** Checks the password against every candidate; with none, a dummy hash costs the same time. */
  private async matching(candidates: LoginCandidate[], password: string): Promise<LoginCandidate[]> {
    const withPassword = candidates.filter((c) => c.user.passwordHash);
    if (withPassword.length === 0) {
      await this.hasher.verifyDummy(password);
      return [];
    }
    const matches: LoginCandidate[] = [];
    for (const candidate of withPassword) {
      if (await this.hasher.verify(candidate.user.passwordHash!, password)) matches.push(candidate);
    }
    return matches;
  }

  /** Records a filled window's lock-out on its user, once however many failures see it full. */
  private async lockOut(key: string, candidate: LoginCandidate | undefined, window: Reservation): Promise<void> {
    try {
      const first = await this.limiter.hit(lockoutRecordedKey(key), 1, window.retryAfterSeconds);
      if (!first.allowed || !candidate) return;
      const until = new Date(this.clock.now().getTime() + window.retryAfterSeconds * 1000);
      await this.repository.update(User, candidate.user.id, (user) => user.lockOut(window.count, until));
    } catch (error) {
      // The failure is counted; only its record in the user's history is missing.
      this.logger.warn(`could not record a lock-out: ${(error as Error).message}`);
    }
  }
}
