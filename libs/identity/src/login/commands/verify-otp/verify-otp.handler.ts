import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AppConfig } from '@latchkey/config';
import { AggregateRepository, Clock, IdGenerator, type DomainError } from '@latchkey/event-store';
import { randomToken, sha256 } from '@latchkey/security';
import { Device } from '../../../device/device.aggregate';
import { ChallengeNotFoundError, InvalidOtpError, OtpExpiredError, TooManyAttemptsError } from '../../../shared/errors';
import { IdentityReadModels } from '../../../shared/read-models';
import { SessionIssuer } from '../../../session/session-issuer';
import { User } from '../../../user/user.aggregate';
import { IdentityLinker } from '../../identity-linker';
import { LoginFinisher } from '../../login-finisher';
import { Login } from '../../login.aggregate';
import type { LoginResult } from '../../login-result';
import { OtpIssuer } from '../../otp-issuer';
import { VerifyOtpCommand } from './verify-otp.command';

/**
 * Checks a one-time code. Runs under the challenge's exclusive lock, so however many requests
 * race with the right code, exactly one of them authenticates, and every wrong code counts.
 */
@CommandHandler(VerifyOtpCommand)
export class VerifyOtpHandler implements ICommandHandler<VerifyOtpCommand, LoginResult> {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
    private readonly otp: OtpIssuer,
    private readonly sessions: SessionIssuer,
    private readonly linker: IdentityLinker,
  ) {}

  async execute(command: VerifyOtpCommand): Promise<LoginResult> {
    const outcome = await this.repository.exclusive(`login-${command.challengeId}`, async (uow): Promise<{ result?: LoginResult; error?: DomainError }> => {
      const login = await uow.load(Login, command.challengeId);
      if (!login.exists || !login.challenge || !login.userId) return { error: new ChallengeNotFoundError() };
      const now = this.clock.now();
      const verdict = login.verify(this.otp.matcher(login.id, command.code), command.trustDevice, this.config.otp.maxAttempts, now);
      switch (verdict.kind) {
        case 'dead':
          return { error: new TooManyAttemptsError() };
        case 'expired':
        case 'used':
          return { error: new OtpExpiredError() };
        case 'wrong':
          return { error: new InvalidOtpError({ attemptsLeft: verdict.attemptsLeft }) };
      }
      const found = await this.read.userWithSsoRule(login.userId, uow.sql);
      if (!found) return { error: new ChallengeNotFoundError() };
      const { user } = found;
      // Checked again with the code, from the row just read (no extra round trip under the lock):
      // the user may have been disabled, or lost web access, or the account may have started
      // enforcing SSO, since the password (or Google, GitHub) vouched for them.
      const refusal = LoginFinisher.refusalGiven(user, login.method, found.enforceSso);
      if (refusal) {
        login.reject(user.id, refusal.code);
        return { error: refusal };
      }
      // A change that ended the user's sessions after the password was checked (a reset, say)
      // voids the code: the login must start again, with the password as it is now.
      if (LoginFinisher.endedSince(user, login.userVersion)) {
        login.reject(user.id, 'sessions_ended');
        return { error: new OtpExpiredError() };
      }
      let deviceId: string | null = null;
      let deviceToken: string | undefined;
      if (command.trustDevice) {
        deviceToken = randomToken();
        const device = uow.add(new Device(this.ids.next()));
        device.authorize({
          userId: user.id,
          accountId: user.accountId,
          tokenHash: sha256(deviceToken),
          name: command.deviceName?.trim() || null,
          userAgent: command.client.userAgent?.slice(0, 512) ?? null,
          ip: command.client.ip,
          loginId: login.id,
          expiresAt: new Date(now.getTime() + this.config.deviceTrustDays * 86_400_000).toISOString(),
        });
        deviceId = device.id;
      }
      const { session, result } = this.sessions.start({
        user,
        loginId: login.id,
        deviceId,
        method: login.method ?? 'password',
        deviceToken,
        userVersion: login.userVersion ?? undefined,
      });
      uow.add(session);
      // A Google/GitHub login links its identity now that the user proved themselves.
      await this.linker.link(login, user.id, (id) => uow.load(User, id), uow.sql);
      return { result };
    });
    if (outcome.error) throw outcome.error;
    return outcome.result!;
  }
}
