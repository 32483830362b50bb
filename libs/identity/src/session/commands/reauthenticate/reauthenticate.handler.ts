import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { InvalidAccessTokenError } from '@latchkey/security';
import { SessionPassword } from '../../session-password';
import { ReauthenticateCommand } from './reauthenticate.command';

/**
 * The user's password, entered again in a session they hold: right, and the session counts as
 * a recent login (`RecentLogin`) without a new login. A step-up, not a login: no second factor
 * (the session's login had whatever it needed), but the login's throttles (`SessionPassword`).
 */
@CommandHandler(ReauthenticateCommand)
export class ReauthenticateHandler implements ICommandHandler<ReauthenticateCommand, void> {
  constructor(private readonly password: SessionPassword) {}

  async execute(command: ReauthenticateCommand): Promise<void> {
    const user = await this.password.check(command);
    // The session ended while the password was checked: its token is no longer good.
    if (!(await this.password.record(command.sessionId, user.id, true))) throw new InvalidAccessTokenError('session_ended');
  }
}
