import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository } from '@latchkey/event-store';
import { InvalidAccessTokenError, PasswordHasher, PasswordPolicy } from '@latchkey/security';
import { LoginFinisher } from '../../../login/login-finisher';
import type { LoginResult } from '../../../login/login-result';
import { IdentityReadModels } from '../../../shared/read-models';
import { endSessions } from '../../../session/end-sessions';
import { SessionIssuer } from '../../../session/session-issuer';
import { SessionPassword } from '../../../session/session-password';
import { User } from '../../user.aggregate';
import { ChangePasswordCommand } from './change-password.command';

/**
 * A new password from the signed-in user, who proves the current one (`SessionPassword`: the
 * login's throttles). As with a reset, every session of the user ends with the old password —
 * whoever else held one (a stolen token, a forgotten laptop) is out — and the caller's session
 * is continued in a new one (`SessionStarted {replaces}`, as recent a login as the old one):
 * the answer carries its tokens. The user is told by email (a security notice, as for a reset).
 */
@CommandHandler(ChangePasswordCommand)
export class ChangePasswordHandler implements ICommandHandler<ChangePasswordCommand, Extract<LoginResult, { status: 'authenticated' }>> {
  constructor(
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly password: SessionPassword,
    private readonly sessions: SessionIssuer,
  ) {}

  async execute(command: ChangePasswordCommand): Promise<Extract<LoginResult, { status: 'authenticated' }>> {
    // The new password's rules before the current one is checked: a weak one costs no hash and no place in a failure window.
    await this.password.check({ userId: command.userId, sessionId: command.sessionId, password: command.currentPassword, ip: command.ip }, (user) =>
      this.policy.check(command.newPassword, { email: user.email, username: user.username }),
    );
    const hash = await this.hasher.hash(command.newPassword);

    return this.repository.exclusive(`user-${command.userId}`, async (uow) => {
      // Under the user's lock: the session and the user as they are now (ended, disabled meanwhile).
      const current = await this.read.sessionById(command.sessionId, uow.sql);
      const user = await this.read.userById(command.userId, uow.sql);
      if (!current || current.revoked || !user || current.userId !== user.id) throw new InvalidAccessTokenError('session_ended');
      const refusal = LoginFinisher.userRefusal(user);
      if (refusal) throw refusal;
      const account = await uow.load(User, user.id);
      account.changePassword(hash, 'change');
      await endSessions(this.read, uow, user.id, 'password_changed');
      const { session, result } = this.sessions.start({
        user,
        replaces: current.id,
        deviceId: current.deviceId,
        method: current.method,
        // A password change is no fresh login: the session stays as recent as it was (`RecentLogin`),
        // or knowing the password in a stolen session would be a way to move the codes elsewhere.
        authenticatedAt: await this.read.sessionAuthenticatedAt(current.id, uow.sql),
        // The version the password change gives the user: sessions from before it are ended.
        userVersion: account.version + account.getUncommittedEvents().length,
      });
      uow.add(session);
      return result;
    });
  }
}
