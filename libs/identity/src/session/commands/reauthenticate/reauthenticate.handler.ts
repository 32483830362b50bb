import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Clock } from '@latchkey/event-store';
import { InvalidAccessTokenError, sha256 } from '@latchkey/security';
import { ReauthenticationRequiredError } from '../../../shared/errors';
import { IdentityReadModels, trustOf } from '../../../shared/read-models';
import { SessionPassword } from '../../session-password';
import { ReauthenticateCommand } from './reauthenticate.command';

/**
 * The user's password, entered again in a session they hold: right, and the session counts as
 * a recent login (`RecentLogin`) without a new login. It must not be weaker than that login:
 * a fresh login without a code needs the password *and* a trusted device, so the step-up needs
 * the password and the session's own trusted device (its token in the request, the device
 * still trusted). A session without one (its login did not trust the device, or the device was
 * revoked since) logs in again, with a code. The password goes through the login's throttles
 * (`SessionPassword`).
 */
@CommandHandler(ReauthenticateCommand)
export class ReauthenticateHandler implements ICommandHandler<ReauthenticateCommand, void> {
  constructor(
    private readonly clock: Clock,
    private readonly read: IdentityReadModels,
    private readonly password: SessionPassword,
  ) {}

  async execute(command: ReauthenticateCommand): Promise<void> {
    // Checked before the password: without the device no password is asked, so none is counted.
    const user = await this.password.check(command, () => this.requireSessionDevice(command));
    // The session ended while the password was checked: its token is no longer good.
    if (!(await this.password.record(command.sessionId, user.id, true))) throw new InvalidAccessTokenError('session_ended');
  }

  private async requireSessionDevice(command: ReauthenticateCommand): Promise<void> {
    const session = await this.read.sessionById(command.sessionId);
    if (!session || session.revoked || session.userId !== command.userId) throw new InvalidAccessTokenError('session_ended');
    const device = command.deviceToken ? await this.read.deviceByTokenHash(sha256(command.deviceToken)) : undefined;
    const trust = trustOf(command.userId, device, this.clock.now());
    if (!trust.trusted || trust.id !== session.deviceId) {
      throw new ReauthenticationRequiredError({ detail: "The password is taken again only with this session's trusted device; otherwise log in again." });
    }
  }
}
