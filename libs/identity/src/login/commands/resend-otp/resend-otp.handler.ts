import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AppConfig } from '@latchkey/config';
import { AggregateRepository, Clock } from '@latchkey/event-store';
import { ChallengeNotFoundError } from '../../../shared/errors';
import { IdentityReadModels } from '../../../shared/read-models';
import { Login } from '../../login.aggregate';
import { OtpIssuer } from '../../otp-issuer';
import { ResendOtpCommand, type ResendResult } from './resend-otp.command';

/** A new code for an open challenge, on the same or another available channel; the old code stops working. */
@CommandHandler(ResendOtpCommand)
export class ResendOtpHandler implements ICommandHandler<ResendOtpCommand, ResendResult> {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
    private readonly otp: OtpIssuer,
  ) {}

  async execute(command: ResendOtpCommand): Promise<ResendResult> {
    return this.repository.exclusive(`login-${command.challengeId}`, async (uow) => {
      const login = await uow.load(Login, command.challengeId);
      if (!login.exists || !login.challenge || !login.userId) throw new ChallengeNotFoundError();
      const channel = command.channel ?? login.challenge.channel;
      login.assertCanResend(channel, this.clock.now(), this.config.otp.maxAttempts);
      const user = await this.read.userById(login.userId, uow.sql);
      if (!user) throw new ChallengeNotFoundError();
      const issued = await this.otp.issue(login.id, user, channel, login.challenge.availableChannels);
      login.resend(issued);
      const { code } = issued;
      return { channel: code.channel, destination: code.destination, resendAvailableAt: code.resendAvailableAt };
    });
  }
}
