import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository, Clock, IdGenerator } from '@latchkey/event-store';
import { PasswordHasher, sha256 } from '@latchkey/security';
import { normalizeLogin } from '../../../shared/contact';
import { InvalidCredentialsError } from '../../../shared/errors';
import { IdentityReadModels, type LoginCandidate } from '../../../shared/read-models';
import { Login } from '../../login.aggregate';
import { LoginFinisher } from '../../login-finisher';
import { LoginThrottle } from '../../login-throttle';
import { accountChoice, offeredDevice, type LoginResult } from '../../login-result';
import { PasswordLoginCommand } from './password-login.command';

/** An email can belong to users in several accounts; at most this many passwords are checked per attempt. */
export const MAX_ACCOUNTS_PER_EMAIL = 10;
/** How long an account choice stays open. */
export const SELECTION_TTL_SECONDS = 600;

@CommandHandler(PasswordLoginCommand)
export class PasswordLoginHandler implements ICommandHandler<PasswordLoginCommand, LoginResult> {
  constructor(
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly finisher: LoginFinisher,
  ) {}

  async execute(command: PasswordLoginCommand): Promise<LoginResult> {
    const login = normalizeLogin(command.login);
    const deviceHash = command.client.deviceToken ? sha256(command.client.deviceToken) : undefined;
    const candidates = await this.read.loginCandidates(login.includes('@') ? 'email' : 'username', login, MAX_ACCOUNTS_PER_EMAIL, deviceHash ?? null);

    // Throttled callers are refused before any password is hashed (see `LoginThrottle`). A login
    // has a window per user it names: an email can be a user's in several accounts (anyone can
    // sign up an account with someone's email), and guesses at one of them, a right password or
    // an admin's unlock in one account, must not open or close the other's.
    const windows = candidates.length === 0 ? [{ key: this.throttle.key(login) }] : candidates.map((c) => ({ key: this.throttle.key(login, c.user.accountId), userId: c.user.id }));
    const places = await this.throttle.reserve(command.client.ip, windows);
    // Only the users whose windows have room are checked.
    let matches: LoginCandidate[];
    try {
      matches = await this.matching(
        candidates.filter((_, i) => places.open(i)),
        command.password,
      );
    } catch (error) {
      await places.notChecked();
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
      return places.failed(new InvalidCredentialsError());
    }
    await places.succeeded((i) => matches.includes(candidates[i]!));

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
}
