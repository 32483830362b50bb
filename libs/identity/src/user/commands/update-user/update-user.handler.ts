import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository } from '@latchkey/event-store';
import { endSessions } from '../../../session/end-sessions';
import { PHONE_FORMAT_MESSAGE, toE164 } from '../../../shared/contact';
import { InvalidPhoneError, LastAdminError, NotFoundError } from '../../../shared/errors';
import { closestLocale } from '../../../shared/locale';
import { IdentityReadModels } from '../../../shared/read-models';
import { RecentLogin } from '../../../shared/recent-login';
import { User } from '../../user.aggregate';
import { UpdateUserCommand } from './update-user.command';

/** An admin who can log in: enabled, with web access (what `LoginFinisher.userRefusal` asks), and the role. */
const canAdminister = (user: { enabled: boolean; webAccess: boolean; roles: readonly string[] }) => user.enabled && user.webAccess && user.roles.includes('account_admin');

/** Changes to who may administer an account take turns, so two admins cannot demote each other at once. */
export const adminsOf = (accountId: string) => `admins-of-${accountId}`;

/**
 * Roles, web access, enabled, code channel, phone, language. An account keeps at least one
 * account_admin who can log in (enabled, with web access; 409 otherwise); disabling a user ends all their sessions at once.
 */
@CommandHandler(UpdateUserCommand)
export class UpdateUserHandler implements ICommandHandler<UpdateUserCommand, void> {
  constructor(
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
    private readonly recentLogin: RecentLogin,
  ) {}

  async execute(command: UpdateUserCommand): Promise<void> {
    const { change } = command;
    let phone: string | null | undefined = change.phone;
    if (typeof change.phone === 'string') {
      phone = toE164(change.phone);
      if (phone === undefined) {
        throw new InvalidPhoneError({ errors: [{ field: 'phone', message: PHONE_FORMAT_MESSAGE }] });
      }
    }
    await this.repository.exclusive([adminsOf(command.accountId), `user-${command.userId}`], async (uow) => {
      const user = await uow.load(User, command.userId);
      const state = user.snapshot;
      if (!user.exists || state.accountId !== command.accountId) throw new NotFoundError();

      // An admin moving their own codes (phone, channel) through this endpoint is held to the rule
      // of PATCH /auth/me; for other users of the account the admin's authority is the proof.
      if (command.actor.userId === command.userId && user.movesCodes({ phone, twoFactorChannel: change.twoFactorChannel })) {
        await this.recentLogin.require(command.actor.sessionId);
      }

      const wasAdmin = canAdminister(state);
      const staysAdmin = canAdminister({ enabled: change.enabled ?? state.enabled, webAccess: change.webAccess ?? state.webAccess, roles: change.roles ?? state.roles });
      if (wasAdmin && !staysAdmin) {
        const [{ others }] = await uow.sql.query<{ others: number }>(
          `SELECT count(*)::int AS others FROM read.users
            WHERE account_id = $1 AND id <> $2 AND enabled AND web_access AND 'account_admin' = ANY(roles)`,
          [command.accountId, command.userId],
        );
        if (others === 0) throw new LastAdminError();
      }

      user.changeAccess({ roles: change.roles, webAccess: change.webAccess, enabled: change.enabled });
      user.changePreferences({
        ...(change.locale !== undefined ? { locale: closestLocale(change.locale) } : {}),
        ...(change.twoFactorChannel !== undefined ? { twoFactorChannel: change.twoFactorChannel } : {}),
        ...(phone !== undefined ? { phone } : {}),
        ...(change.name !== undefined ? { name: change.name?.trim() || null } : {}),
      });
      // Taking away the user's access ends their sessions at once, not when their refresh tokens expire.
      const endsSessions =
        change.enabled === false && state.enabled ? 'user_disabled' : change.webAccess === false && state.webAccess ? 'web_access_removed' : undefined;
      if (endsSessions) {
        await endSessions(this.read, uow, command.userId, endsSessions);
      }
    });
  }
}
