import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository, Clock, IdGenerator } from '@latchkey/event-store';
import { Group, normalizeGroupName } from '../../../group/group.aggregate';
import { GroupQueries } from '../../../group/queries/groups.query';
import { ConfirmationNotFoundError } from '../../../shared/errors';
import { IdentityReadModels } from '../../../shared/read-models';
import { SsoConnectionQueries } from '../../../sso-connection/queries/sso-connections.query';
import { User } from '../../../user/user.aggregate';
import { Login } from '../../login.aggregate';
import { LoginFinisher } from '../../login-finisher';
import { SsoSteps } from '../../sso-steps';
import type { LoginResult } from '../../login-result';
import { ConfirmGroupsCommand } from './confirm-groups.command';

/** Group creation in an account takes turns, so two users confirming the same new group make one. */
export const groupsOf = (accountId: string) => `groups-of-${accountId}`;

@CommandHandler(ConfirmGroupsCommand)
export class ConfirmGroupsHandler implements ICommandHandler<ConfirmGroupsCommand, LoginResult> {
  constructor(
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
    private readonly groups: GroupQueries,
    private readonly connections: SsoConnectionQueries,
    private readonly finisher: LoginFinisher,
    private readonly steps: SsoSteps,
  ) {}

  async execute(command: ConfirmGroupsCommand): Promise<LoginResult> {
    const peek = await this.repository.load(Login, command.confirmationId);
    if (!peek.exists || !peek.accountId || !peek.sso) throw new ConfirmationNotFoundError();

    const outcome = await this.repository.exclusive([`login-${command.confirmationId}`, groupsOf(peek.accountId)], async (uow) => {
      const login = await uow.load(Login, command.confirmationId);
      const { userId, accountId, shown } = login.confirmGroups(this.clock.now());
      const sso = login.sso!;
      const [user, connection] = await Promise.all([this.read.userById(userId, uow.sql), this.connections.byId(sso.connectionId, uow.sql)]);
      // The account may have stopped using the connection since the login began.
      if (!user || !connection || !connection.servedAccountIds.includes(accountId)) throw new ConfirmationNotFoundError();
      // A change that ended the user's sessions since the IdP's assertion (disabled and enabled
      // again, say) voids the confirmation: the login must start again.
      if (LoginFinisher.endedSince(user, login.userVersion)) throw new ConfirmationNotFoundError();

      // A user who may no longer log in gets no group changes either; the finish records why.
      if (!(await this.finisher.refusal(user, 'sso', uow.sql))) {
        // Apply what the IdP said, against the memberships as they are now, but never more than
        // the user was shown and confirmed: a membership the change did not name stays as it is,
        // and a connection that stopped syncing groups since changes none.
        const said = await this.steps.wantedGroups(login, accountId, connection, uow.sql);
        const wanted = said ?? new Map<string, string>();
        const shownAdded = new Set(shown.added.map(normalizeGroupName));
        const shownRemoved = new Set(shown.removed.map(normalizeGroupName));
        const existing = new Map((await this.groups.byNames(accountId, [...wanted.keys()], uow.sql)).map((g) => [g.normalized, g]));
        const current = await this.groups.ssoGroupsOf(userId, connection.id, uow.sql);
        const currentIds = new Set(current.map((g) => g.id));
        const added: { groupId: string; name: string }[] = [];
        for (const [normalized, name] of wanted) {
          if (!shownAdded.has(normalized)) continue;
          let group = existing.get(normalized);
          if (!group) {
            const created = uow.add(new Group(this.ids.next()));
            created.create(accountId, name, 'sso');
            group = { id: created.id, name, normalized, source: 'sso' };
          }
          if (!currentIds.has(group.id)) added.push({ groupId: group.id, name: group.name });
        }
        const removed = said
          ? current.filter((g) => !wanted.has(normalizeGroupName(g.name)) && shownRemoved.has(normalizeGroupName(g.name))).map((g) => ({ groupId: g.id, name: g.name }))
          : [];
        const aggregate = await uow.load(User, userId);
        aggregate.changeSsoGroups(connection.id, added, removed);
      }

      const continuation = await this.finisher.finish(login, user, command.client, {
        method: 'sso',
        login: sso.email,
        afterSelection: true,
        locale: login.requestedLocale ?? undefined,
        secondFactor: connection.requireOtpOnNewDevice ? 'new_device' : 'never',
        sql: uow.sql,
        userVersion: login.userVersion ?? undefined,
      });
      continuation.save.forEach((a) => uow.add(a));
      return continuation;
    });
    return this.finisher.complete(outcome, Promise.resolve());
  }
}
