import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateRepository } from '@latchkey/event-store';
import { InvalidAccessTokenError, PasswordHasher } from '@latchkey/security';
import { LoginThrottle } from '../../../login/login-throttle';
import { normalizeLogin } from '../../../shared/contact';
import { NoPasswordError, ReauthenticationFailedError } from '../../../shared/errors';
import { IdentityReadModels } from '../../../shared/read-models';
import { Session } from '../../session.aggregate';
import { ReauthenticateCommand } from './reauthenticate.command';

/**
 * The user's password, entered again in a session they hold: right, and the session counts as
 * a recent login (`RecentLogin`) without a new login. A step-up, not a login: no second factor
 * (the session's login had whatever it needed), but the same throttles — each wrong password
 * counts in the user's email window and the caller's IP window, and a full one answers 429
 * without hashing — so a stolen session is not a way to guess the password faster.
 */
@CommandHandler(ReauthenticateCommand)
export class ReauthenticateHandler implements ICommandHandler<ReauthenticateCommand, void> {
  constructor(
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
  ) {}

  async execute(command: ReauthenticateCommand): Promise<void> {
    const user = await this.read.userById(command.userId);
    if (!user) throw new InvalidAccessTokenError('session_ended');
    if (!user.passwordHash) throw new NoPasswordError();
    const places = await this.throttle.reserve(command.ip, [{ key: this.throttle.key(normalizeLogin(user.email), user.accountId), userId: user.id }]);
    let right: boolean;
    try {
      right = await this.hasher.verify(user.passwordHash, command.password);
    } catch (error) {
      await places.notChecked();
      throw error;
    }
    const recorded = await this.repository.retrying(async () => {
      const row = await this.read.sessionById(command.sessionId);
      if (!row || row.userId !== user.id) return false;
      const session = Session.fromRow(row);
      if (!session.reauthenticate(right)) return false;
      await this.repository.save(session);
      return true;
    });
    // The session ended while the password was checked: its token is no longer good.
    if (!recorded) {
      await places.notChecked();
      throw new InvalidAccessTokenError('session_ended');
    }
    if (!right) return places.failed(new ReauthenticationFailedError());
    await places.succeeded(() => true);
  }
}
