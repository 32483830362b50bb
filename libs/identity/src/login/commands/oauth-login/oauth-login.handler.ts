import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository, Clock, IdGenerator, UniqueClaimTakenError } from '@latchkey/event-store';
import { normalizeLogin } from '../../../shared/contact';
import { storableText } from '../../../shared/text';
import { NoAccountError } from '../../../shared/errors';
import { IdentityReadModels, type UserRow } from '../../../shared/read-models';
import { ExternalIdentityQueries } from '../../../user/external-identities/external-identities.query';
import { User } from '../../../user/user.aggregate';
import { Login } from '../../login.aggregate';
import { IdentityLinker } from '../../identity-linker';
import { LoginFinisher } from '../../login-finisher';
import { accountChoice, offeredDevice, type LoginResult } from '../../login-result';
import { MAX_ACCOUNTS_PER_EMAIL, SELECTION_TTL_SECONDS } from '../password-login/password-login.handler';
import { OAuthLoginCommand, RejectOAuthLoginCommand } from './oauth-login.command';

/**
 * Google / GitHub: an identity already linked logs in as its user, whatever its email is now.
 * A new identity links, once, to the user with the provider's verified email (several users:
 * the caller picks the account; none, or an unverified email: 403 no-account). Then the same
 * rules as a password login: refusals, new-device code, trusted devices.
 */
@CommandHandler(OAuthLoginCommand)
export class OAuthLoginHandler implements ICommandHandler<OAuthLoginCommand, LoginResult> {
  constructor(
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
    private readonly identities: ExternalIdentityQueries,
    private readonly finisher: LoginFinisher,
    private readonly linker: IdentityLinker,
  ) {}

  async execute(command: OAuthLoginCommand): Promise<LoginResult> {
    try {
      return await this.attempt(command);
    } catch (error) {
      // The same identity linked by a concurrent first login: this one now finds the link.
      if (error instanceof UniqueClaimTakenError) return this.attempt(command);
      throw error;
    }
  }

  private async attempt(command: OAuthLoginCommand): Promise<LoginResult> {
    const { provider, identity } = command;
    const login = new Login(this.ids.next());
    login.externalAsserted({ provider, ...identity });
    const reject = async (reason: string) => {
      login.attempt({ method: provider, login: identity.email ?? '', outcome: 'rejected', reason, userId: null, accountId: null });
      await this.repository.save(login);
      return new NoAccountError();
    };

    const linked = await this.identities.bySubject(provider, identity.subject);
    if (linked) {
      const user = await this.read.userById(linked.userId);
      if (!user) throw await reject('no_account');
      return this.finisher.complete(await this.finisher.finish(login, user, command.client, this.options(command, user)));
    }

    // An unverified email is anyone's claim: it never links.
    if (!identity.email || !identity.emailVerified) throw await reject('email_not_verified');
    const candidates = await this.read.usersByEmail(normalizeLogin(identity.email), MAX_ACCOUNTS_PER_EMAIL);
    if (candidates.length === 0) throw await reject('no_account');
    if (candidates.length > 1) {
      const names = await this.read.accountNames(candidates.map((c) => c.accountId));
      const expiresAt = new Date(this.clock.now().getTime() + SELECTION_TTL_SECONDS * 1000);
      login.offerAccounts(provider, normalizeLogin(identity.email), candidates.map((c) => ({ userId: c.id, accountId: c.accountId, userVersion: c.version })), expiresAt, command.locale, offeredDevice(command.client));
      await this.repository.save(login);
      return accountChoice(login.id, candidates, names);
    }

    const user = candidates[0];
    const continuation = await this.finisher.finish(login, user, command.client, this.options(command, user));
    // Linked now only when already authenticated (trusted device); after a code, by VerifyOtp.
    if (continuation.result?.status === 'authenticated') {
      const linked = await this.linker.link(login, user.id, (id) => this.repository.load(User, id));
      if (linked) continuation.save.push(linked);
    }
    return this.finisher.complete(continuation);
  }

  private options(command: OAuthLoginCommand, user: UserRow) {
    return {
      method: command.provider,
      login: command.identity.email ? normalizeLogin(command.identity.email) : user.email,
      afterSelection: false,
      locale: command.locale,
      secondFactor: 'new_device' as const,
    };
  }
}

@CommandHandler(RejectOAuthLoginCommand)
export class RejectOAuthLoginHandler implements ICommandHandler<RejectOAuthLoginCommand, void> {
  constructor(
    private readonly ids: IdGenerator,
    private readonly repository: AggregateRepository,
  ) {}

  async execute(command: RejectOAuthLoginCommand): Promise<void> {
    const login = new Login(this.ids.next());
    login.attempt({ method: command.provider, login: '', outcome: 'rejected', reason: storableText(command.reason, 300), userId: null, accountId: null });
    await this.repository.save(login);
  }
}
