import { Injectable } from '@nestjs/common';
import { Clock, type Sql } from '@latchkey/event-store';
import { normalizeGroupName } from '../group/group.aggregate';
import { GroupQueries } from '../group/queries/groups.query';
import type { UserRow } from '../shared/read-models';
import type { SsoConnectionRow } from '../sso-connection/queries/sso-connections.query';
import type { Login } from './login.aggregate';
import { LoginFinisher, type Continuation } from './login-finisher';
import type { ClientContext } from './login-result';

/** How long a group confirmation (and an SSO account choice) stays open. */
export const SSO_STEP_TTL_SECONDS = 600;

/**
 * What an SSO login does once it knows the user: refuse users who may not log in, ask the user
 * to confirm group changes the IdP reported, then the shared finish (SSO skips the local code
 * unless the connection requires it on new devices).
 */
@Injectable()
export class SsoSteps {
  constructor(
    private readonly clock: Clock,
    private readonly groups: GroupQueries,
    private readonly finisher: LoginFinisher,
  ) {}

  async proceed(
    login: Login,
    user: UserRow,
    connection: SsoConnectionRow,
    client: ClientContext,
    options: { afterSelection: boolean; locale?: string; sql?: Sql; userVersion?: number },
  ): Promise<Continuation> {
    const finish = () =>
      this.finisher.finish(login, user, client, {
        method: 'sso',
        login: login.sso!.email,
        afterSelection: options.afterSelection,
        locale: options.locale,
        userVersion: options.userVersion,
        secondFactor: connection.requireOtpOnNewDevice ? 'new_device' : 'never',
        sql: options.sql,
      });

    if (await this.finisher.refusal(user, 'sso', options.sql)) return finish();

    const change = await this.groupChange(login, user, connection, options.sql);
    if (!change) return finish();

    if (!options.afterSelection) {
      login.attempt({ method: 'sso', login: login.sso!.email, outcome: 'groups_confirmation_required', reason: null, userId: user.id, accountId: user.accountId, ...(options.locale ? { locale: options.locale } : {}) });
    }
    login.askToConfirmGroups(user.id, user.accountId, change, new Date(this.clock.now().getTime() + SSO_STEP_TTL_SECONDS * 1000), options.userVersion ?? user.version);
    return {
      result: { status: 'groups_confirmation_required', confirmationId: login.id, added: change.added, removed: change.removed },
      save: [login],
    };
  }

  /**
   * The IdP's groups against the groups this connection put the user in (case-insensitive);
   * undefined when nothing would change. Names taken by hand-made (local) groups are left out:
   * an IdP never changes those.
   */
  async groupChange(login: Login, user: UserRow, connection: SsoConnectionRow, sql?: Sql): Promise<{ added: string[]; removed: string[] } | undefined> {
    const wanted = await this.wantedGroups(login, user.accountId, connection, sql);
    if (!wanted) return undefined;
    const current = await this.groups.ssoGroupsOf(user.id, connection.id, sql);
    const currentNames = new Set(current.map((g) => normalizeGroupName(g.name)));
    const added = [...wanted.entries()].filter(([normalized]) => !currentNames.has(normalized)).map(([, name]) => name);
    const removed = current.filter((g) => !wanted.has(normalizeGroupName(g.name))).map((g) => g.name);
    return added.length > 0 || removed.length > 0 ? { added, removed } : undefined;
  }

  /** normalized name → name as the IdP spelled it first; undefined when the connection does not sync groups. */
  async wantedGroups(login: Login, accountId: string, connection: SsoConnectionRow, sql?: Sql): Promise<Map<string, string> | undefined> {
    const names = login.sso?.groups;
    if (!connection.autoCreateGroups || !names) return undefined;
    const wanted = new Map<string, string>();
    for (const name of names) if (!wanted.has(normalizeGroupName(name))) wanted.set(normalizeGroupName(name), name.trim());
    for (const local of (await this.groups.byNames(accountId, [...wanted.keys()], sql)).filter((g) => g.source === 'local')) wanted.delete(local.normalized);
    return wanted;
  }
}
