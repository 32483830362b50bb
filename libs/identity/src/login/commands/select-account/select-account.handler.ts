import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository, Clock } from '@latchkey/event-store';
import { SelectionNotFoundError } from '../../../shared/errors';
import { IdentityReadModels } from '../../../shared/read-models';
import { SsoConnectionQueries } from '../../../sso-connection/queries/sso-connections.query';
import { SsoSteps } from '../../sso-steps';
import { IdentityLinker } from '../../identity-linker';
import { User } from '../../../user/user.aggregate';
import { Login } from '../../login.aggregate';
import { LoginFinisher } from '../../login-finisher';
import { clientHashOf, type LoginResult } from '../../login-result';
import { SelectAccountCommand } from './select-account.command';

/** The user picked one of the accounts their email and password matched; the login goes on for that one. */
@CommandHandler(SelectAccountCommand)
export class SelectAccountHandler implements ICommandHandler<SelectAccountCommand, LoginResult> {
  constructor(
    private readonly clock: Clock,
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
    private readonly finisher: LoginFinisher,
    private readonly connections: SsoConnectionQueries,
    private readonly ssoSteps: SsoSteps,
    private readonly linker: IdentityLinker,
  ) {}

  async execute(command: SelectAccountCommand): Promise<LoginResult> {
    const outcome = await this.repository.exclusive(`login-${command.selectionId}`, async (uow) => {
      const login = await uow.load(Login, command.selectionId);
      if (!login.exists) throw new SelectionNotFoundError();
      const chosen = login.select(command.accountId, this.clock.now());
      // The device is the one this request names, else the one the login step was given — when
      // the choice comes from the same client (IP and user agent): a selection id alone, copied
      // elsewhere, does not bring the device's trust with it.
      const offered = login.offeredDevice;
      const client =
        command.client.deviceToken || !offered || offered.clientHash !== clientHashOf(command.client) ? command.client : { ...command.client, deviceTokenHash: offered.tokenHash };
      const user = await this.read.userById(chosen.userId, uow.sql);
      if (!user) throw new SelectionNotFoundError();
      // A change that ended the user's sessions since the password (or IdP) check (a new password,
      // say) voids the choice: the login must start again.
      if (LoginFinisher.endedSince(user, chosen.userVersion)) throw new SelectionNotFoundError();
      let continuation;
      if (login.sso) {
        // An SSO login goes on with the SSO steps (group confirmation, the connection's 2FA policy).
        const connection = await this.connections.byId(login.sso.connectionId, uow.sql);
        // The account may have stopped using the connection since the choice was offered.
        if (!connection || !connection.servedAccountIds.includes(user.accountId)) throw new SelectionNotFoundError();
        continuation = await this.ssoSteps.proceed(login, user, connection, client, {
          afterSelection: true,
          locale: login.requestedLocale ?? undefined,
          sql: uow.sql,
          userVersion: chosen.userVersion,
        });
      } else {
        continuation = await this.finisher.finish(login, user, client, {
          method: login.method ?? 'password',
          login: user.email,
          afterSelection: true,
          locale: login.requestedLocale ?? undefined,
          secondFactor: 'new_device',
          sql: uow.sql,
          userVersion: chosen.userVersion,
        });
        // A Google/GitHub identity links to the user picked once the login is authenticated.
        if (continuation.result?.status === 'authenticated') await this.linker.link(login, user.id, (id) => uow.load(User, id), uow.sql);
      }
      continuation.save.forEach((aggregate) => uow.add(aggregate));
      return continuation;
    });
    return this.finisher.complete(outcome, Promise.resolve());
  }
}
