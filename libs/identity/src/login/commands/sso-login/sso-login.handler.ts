import { randomBytes } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository, Clock, IdGenerator, UniqueClaimTakenError } from '@latchkey/event-store';
import { normalizeLogin, USERNAME_PATTERN } from '../../../shared/contact';
import { NoAccountError, SsoNotConfiguredError } from '../../../shared/errors';
import { closestLocale } from '../../../shared/locale';
import { IdentityReadModels, type UserRow } from '../../../shared/read-models';
import { SsoConnectionQueries, type SsoConnectionRow } from '../../../sso-connection/queries/sso-connections.query';
import { USERNAME_SCOPE, User } from '../../../user/user.aggregate';
import { Login } from '../../login.aggregate';
import { LoginFinisher } from '../../login-finisher';
import { accountChoice, offeredDevice, type LoginResult } from '../../login-result';
import { SSO_STEP_TTL_SECONDS, SsoSteps } from '../../sso-steps';
import { RejectSsoLoginCommand, SsoLoginCommand } from './sso-login.command';

/** At most this many accounts of one connection are offered for one email. */
const MAX_ACCOUNTS = 10;

@CommandHandler(SsoLoginCommand)
export class SsoLoginHandler implements ICommandHandler<SsoLoginCommand, LoginResult> {
  constructor(
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
    private readonly connections: SsoConnectionQueries,
    private readonly steps: SsoSteps,
    private readonly finisher: LoginFinisher,
  ) {}

  async execute(command: SsoLoginCommand): Promise<LoginResult> {
    const connection = await this.connections.byId(command.connectionId);
    if (!connection) throw new SsoNotConfiguredError();
    const email = normalizeLogin(command.identity.email);
    const login = new Login(this.ids.next());

    let candidates = (await this.read.usersByEmailIn(email, connection.servedAccountIds)).slice(0, MAX_ACCOUNTS);
    if (candidates.length === 0) {
      if (!connection.autoCreateUsers) {
        login.ssoRejected(connection.id, connection.accountId, 'no_account');
        await this.repository.save(login);
        throw new NoAccountError();
      }
      candidates = [await this.createUser(connection, command)];
    }
    login.ssoAsserted(connection.accountId, { connectionId: connection.id, email, groups: command.identity.groups });

    if (candidates.length > 1) {
      const names = await this.read.accountNames(candidates.map((c) => c.accountId));
      const expiresAt = new Date(this.clock.now().getTime() + SSO_STEP_TTL_SECONDS * 1000);
      login.offerAccounts('sso', email, candidates.map((c) => ({ userId: c.id, accountId: c.accountId, userVersion: c.version })), expiresAt, command.locale, offeredDevice(command.client));
      await this.repository.save(login);
      return accountChoice(login.id, candidates, names);
    }

    const continuation = await this.steps.proceed(login, candidates[0], connection, command.client, { afterSelection: false, locale: command.locale });
    return this.finisher.complete(continuation);
  }

  /**
   * Just-in-time registration in the connection's own account, without a password. The
   * username comes from the email's local part, with a random suffix when that one is taken.
   * Two first logins of the same person at once: the second finds the user the first created.
   */
  private async createUser(connection: SsoConnectionRow, command: SsoLoginCommand): Promise<UserRow> {
    const email = command.identity.email.trim();
    for (let attempt = 0; attempt < 3; attempt++) {
      const user = new User(this.ids.next());
      const base = usernameFrom(email);
      const registration = {
        accountId: connection.accountId,
        email,
        username: attempt === 0 && !(await this.read.userByUsername(base.toLowerCase())) ? base : `${base.slice(0, 55)}-${randomBytes(4).toString('hex')}`,
        name: command.identity.name,
        phone: null,
        locale: closestLocale(command.locale),
        roles: ['member' as const],
        webAccess: true,
        twoFactorChannel: 'email' as const,
        source: 'sso' as const,
      };
      user.register(registration, null);
      try {
        await this.repository.save(user);
      } catch (error) {
        if (!(error instanceof UniqueClaimTakenError)) throw error;
        if (error.scope !== USERNAME_SCOPE) {
          const [existing] = await this.read.usersByEmailIn(normalizeLogin(email), [connection.accountId]);
          if (existing) return existing;
        }
        continue;
      }
      return (await this.read.userById(user.id))!;
    }
    throw new Error('could not pick a free username for a new SSO user');
  }
}

/** "Ana.Horvat+x@contoso.com" → "Ana.Horvat-x"; padded to the minimum length. */
function usernameFrom(email: string): string {
  const local = email.slice(0, email.lastIndexOf('@')).replace(/[^a-zA-Z0-9._-]/g, '-').replace(/^[^a-zA-Z0-9]+/, '').slice(0, 64);
  const name = local.length >= 3 ? local : `${local || 'user'}-sso`;
  return USERNAME_PATTERN.test(name) ? name : `user-${randomBytes(4).toString('hex')}`;
}

@CommandHandler(RejectSsoLoginCommand)
export class RejectSsoLoginHandler implements ICommandHandler<RejectSsoLoginCommand, void> {
  constructor(
    private readonly ids: IdGenerator,
    private readonly repository: AggregateRepository,
    private readonly connections: SsoConnectionQueries,
  ) {}

  async execute(command: RejectSsoLoginCommand): Promise<void> {
    const connection = await this.connections.byId(command.connectionId);
    if (!connection) return;
    const login = new Login(this.ids.next());
    login.ssoRejected(connection.id, connection.accountId, command.reason);
    await this.repository.save(login);
  }
}
