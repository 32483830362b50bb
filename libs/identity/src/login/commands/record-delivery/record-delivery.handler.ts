import { Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AppConfig } from '@latchkey/config';
import { AggregateRepository, DomainError } from '@latchkey/event-store';
import { IdentityReadModels } from '../../../shared/read-models';
import type { Channel } from '../../../shared/roles';
import { Login } from '../../login.aggregate';
import { OtpIssuer } from '../../otp-issuer';
import { RecordOtpDeliveredCommand, RecordOtpFailedCommand } from './record-delivery.command';

@CommandHandler(RecordOtpDeliveredCommand)
export class RecordOtpDeliveredHandler implements ICommandHandler<RecordOtpDeliveredCommand, void> {
  constructor(private readonly repository: AggregateRepository) {}

  async execute(command: RecordOtpDeliveredCommand): Promise<void> {
    await this.repository.exclusive(`login-${command.loginId}`, async (uow) => {
      const login = await uow.load(Login, command.loginId);
      if (login.exists) login.recordDelivered(command.sourceEventId, command.channel, command.provider, command.providerMessageId);
    });
  }
}

/**
 * A code that will not arrive: recorded, and when it was the challenge's current code a new
 * one goes out at once on the next available channel (SMS → voice → email), so the user is
 * never left waiting for a message that is not coming.
 */
@CommandHandler(RecordOtpFailedCommand)
export class RecordOtpFailedHandler implements ICommandHandler<RecordOtpFailedCommand, { fallback?: Channel }> {
  private readonly logger = new Logger(RecordOtpFailedHandler.name);

  constructor(
    private readonly config: AppConfig,
    private readonly repository: AggregateRepository,
    private readonly read: IdentityReadModels,
    private readonly otp: OtpIssuer,
  ) {}

  async execute(command: RecordOtpFailedCommand): Promise<{ fallback?: Channel }> {
    return this.repository.exclusive(`login-${command.loginId}`, async (uow) => {
      const login = await uow.load(Login, command.loginId);
      if (!login.exists || !login.userId) return {};
      const next = login.recordFailed(command.sourceEventId, command.channel, command.reason, this.config.otp.maxAttempts);
      if (!next || !login.challenge) return {};
      const user = await this.read.userById(login.userId, uow.sql);
      if (!user) return {};
      try {
        const issued = await this.otp.issue(login.id, user, next, login.challenge.availableChannels, { replacesUndelivered: true });
        login.resend(issued);
        return { fallback: issued.code.channel };
      } catch (error) {
        // No code can be made (a domain refusal): the failure stays recorded, no new code.
        if (error instanceof DomainError) {
          this.logger.warn(`no fallback code for challenge ${login.id}: ${error.code}`);
          return {};
        }
        throw error;
      }
    });
  }
}
