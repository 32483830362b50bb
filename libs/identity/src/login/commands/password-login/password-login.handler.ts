import { Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AppConfig } from '@latchkey/config';
import { AggregateRepository, Clock, IdGenerator } from '@latchkey/event-store';
import { PasswordHasher, RateLimiter, SecretBox } from '@latchkey/security';
import { normalizeLogin } from '../../../shared/contact';
import { InvalidCredentialsError, LoginThrottledError } from '../../../shared/errors';
import { IdentityReadModels, type UserRow } from '../../../shared/read-models';
import { User } from '../../../user/user.aggregate';
import { Login } from '../../login.aggregate';
import { LoginFinisher } from '../../login-finisher';
import { accountChoice, type LoginResult } from '../../login-result';
import { PasswordLoginCommand } from './password-login.command';

/** An email can belong to users in several accounts; at most this many passwords are checked per attempt. */
export const MAX_ACCOUNTS_PER_EMAIL = 10;
/** How long an account choice stays open. */
export const SELECTION_TTL_SECONDS = 600;

/** Throttle keys hold no personal data in clear: a keyed hash of the login, of the IP. */
export function loginThrottleKey(box: SecretBox, normalizedLogin: string): string {
  return `login-failures:login:${box.hmac('rate-limit', normalizedLogin)}`;
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

    // Throttled callers are refused before any password is hashed.
    const [byLogin, byIp] = await Promise.all([
      this.limiter.check(loginKey, maxFailuresPerLogin, failureWindowSeconds),
      this.limiter.check(ipKey, maxFailuresPerIp, failureWindowSeconds),
    ]);
    if (!byLogin.allowed || !byIp.allowed) {
      throw new LoginThrottledError({ retryAfterSeconds: Math.max(byLogin.allowed ? 0 : byLogin.retryAfterSeconds, byIp.allowed ? 0 : byIp.retryAfterSeconds) });
    }

    const candidates = await this.candidates(login);
    const matches = await this.matching(candidates, command.password);
    const attempt = new Login(this.ids.next());

    if (matches.length === 0) {
      const single = candidates.length === 1 ? candidates[0] : undefined;
      attempt.attempt({
        method: 'password',
        login,
        outcome: 'failed',
        reason: candidates.length === 0 ? 'unknown_login' : 'wrong_password',
        userId: single?.id ?? null,
        accountId: single?.accountId ?? null,
      });
      await this.repository.save(attempt);
      const [afterLogin] = await Promise.all([
        this.limiter.hit(loginKey, maxFailuresPerLogin, failureWindowSeconds),
        this.limiter.hit(ipKey, maxFailuresPerIp, failureWindowSeconds),
      ]);
      // The failure that reaches the limit locks the login out; record it on the users it names.
      if (afterLogin.count === maxFailuresPerLogin) await this.lockOut(candidates, afterLogin.count, afterLogin.retryAfterSeconds);
      throw new InvalidCredentialsError();
    }

    // A right password clears the login's failures; with none counted there is nothing to clear.
    if (byLogin.count > 0) await this.limiter.reset(loginKey);

    if (matches.length > 1) {
      const names = await this.read.accountNames(matches.map((m) => m.accountId));
      const expiresAt = new Date(this.clock.now().getTime() + SELECTION_TTL_SECONDS * 1000);
      attempt.offerAccounts('password', login, matches.map((m) => ({ userId: m.id, accountId: m.accountId })), expiresAt, command.locale);
      await this.repository.save(attempt);
      return accountChoice(attempt.id, matches, names);
    }

    const outcome = await this.finisher.finish(attempt, matches[0], command.client, {
      method: 'password',
      login,
      afterSelection: false,
      locale: command.locale,
      secondFactor: 'new_device',
    });
    return this.finisher.complete(outcome);
  }

  private async candidates(login: string): Promise<UserRow[]> {
    if (login.includes('@')) return this.read.usersByEmail(login, MAX_ACCOUNTS_PER_EMAIL);
    const user = await this.read.userByUsername(login);
    return user ? [user] : [];
  }

  /** Checks the password against every candidate; with none, a dummy hash costs the same time. */
  private async matching(candidates: UserRow[], password: string): Promise<UserRow[]> {
    const withPassword = candidates.filter((c) => c.passwordHash);
    if (withPassword.length === 0) {
      await this.hasher.verifyDummy(password);
      return [];
    }
    const matches: UserRow[] = [];
    for (const candidate of withPassword) {
      if (await this.hasher.verify(candidate.passwordHash!, password)) matches.push(candidate);
    }
    return matches;
  }

  private async lockOut(candidates: UserRow[], failures: number, retryAfterSeconds: number): Promise<void> {
    const until = new Date(this.clock.now().getTime() + retryAfterSeconds * 1000);
    for (const candidate of candidates) {
      await this.repository
        .update(User, candidate.id, (user) => user.lockOut(failures, until))
        .catch((error: Error) => this.logger.warn(`could not record lock-out of ${candidate.id}: ${error.message}`));
    }
  }
}
