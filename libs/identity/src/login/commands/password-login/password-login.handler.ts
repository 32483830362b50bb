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

/** Throttle keys hold no personal data in clear: a keyed hash of the login, of the IP. */
export function loginThrottleKey(box: SecretBox, normalizedLogin: string): string {
  return `login-failures:login:${box.hmac('rate-limit', normalizedLogin)}`;
}

/**
 * Set once a login's lock-out is recorded, for as long as it holds: several failures can each
 * see the window full (places given back by attempts that were never checked are taken again),
 * and the lock-out is one event. Cleared with the login's failures (a right password, an unlock).
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
    const loginKey = loginThrottleKey(this.box, login);
    const ipKey = ipThrottleKey(this.box, command.client.ip);

    // Throttled callers are refused before any password is hashed. Every attempt counts as a
    // failure from here until its password proves right: attempts sent at once each take a place
    // in the window, so no more than the limit are ever checked.
    const reservations = await Promise.allSettled([
      this.limiter.reserve(loginKey, maxFailuresPerLogin, failureWindowSeconds),
      this.limiter.reserve(ipKey, maxFailuresPerIp, failureWindowSeconds),
    ]);
    const releaseAll = () => Promise.allSettled(reservations.map((r) => (r.status === 'fulfilled' ? r.value.release() : undefined)));
    const failed = reservations.find((r) => r.status === 'rejected');
    if (failed) {
      // One reservation failed (Redis): the other gives its place back.
      await releaseAll();
      throw failed.reason;
    }
    const [byLogin, byIp] = reservations.map((r) => (r as PromiseFulfilledResult<Reservation>).value);
    if (!byLogin.allowed || !byIp.allowed) {
      await releaseAll();
      throw new LoginThrottledError({ retryAfterSeconds: Math.max(byLogin.allowed ? 0 : byLogin.retryAfterSeconds, byIp.allowed ? 0 : byIp.retryAfterSeconds) });
    }

    const deviceHash = command.client.deviceToken ? sha256(command.client.deviceToken) : undefined;
    let candidates: LoginCandidate[];
    let matches: LoginCandidate[];
    try {
      candidates = await this.read.loginCandidates(login.includes('@') ? 'email' : 'username', login, MAX_ACCOUNTS_PER_EMAIL, deviceHash ?? null);
      matches = await this.matching(candidates, command.password);
    } catch (error) {
      // Not checked (the bound on hashes at once, a failed read): not a failure either.
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
      // The failure that filled the window locks the login out; record it (once) on the users it names.
      if (byLogin.count === maxFailuresPerLogin) {
        try {
          const first = await this.limiter.hit(lockoutRecordedKey(loginKey), 1, byLogin.retryAfterSeconds);
          if (first.allowed) await this.lockOut(candidates, byLogin.count, byLogin.retryAfterSeconds);
        } catch (error) {
          // The failure is counted; only its record in the users' history is missing.
          this.logger.warn(`could not record a lock-out: ${(error as Error).message}`);
        }
      }
      throw new InvalidCredentialsError();
    }

    // A right password clears the login's failures (this attempt's place with them) and gives
    // back its place in the IP's window. When the login names users in several accounts (an
    // email), a right password for one says nothing of the guesses at the others: anyone can
    // make a user with someone's email in an account of their own, and clearing the window on
    // their own password would let them guess at the other account's user without end. Then
    // only this attempt's place is given back; the failures run out with their window.
    await Promise.all([
      candidates.length === 1 ? this.limiter.reset(loginKey, lockoutRecordedKey(loginKey)) : byLogin.release(),
      byIp.release(),
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

  private async lockOut(candidates: LoginCandidate[], failures: number, retryAfterSeconds: number): Promise<void> {
    const until = new Date(this.clock.now().getTime() + retryAfterSeconds * 1000);
    for (const { user: candidate } of candidates) {
      await this.repository
        .update(User, candidate.id, (user) => user.lockOut(failures, until))
        .catch((error: Error) => this.logger.warn(`could not record lock-out of ${candidate.id}: ${error.message}`));
    }
  }
}
