import { Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { AppConfig } from '@latchkey/config';
import { AggregateRepository, ConcurrencyError, MetadataContext } from '@latchkey/event-store';
import { EmailChannel, render, type EventJob } from '@latchkey/delivery';
import {
  IdentityReadModels,
  PasswordReset,
  RecordResetEmailFailedCommand,
  RecordResetEmailSentCommand,
  type ResetRequested,
  type SealedResetLink,
} from '@latchkey/identity';
import { SecretBox } from '@latchkey/security';
import { AcceptanceRecords, UndeliverableError, giveUpIfStalledTooOften, workerMetadata, type DeliveryAttempt, type DeliveryOutcome } from './acceptance-records';

/**
 * Sends one reset or invitation email, at most once (same scheme as codes: the provider's
 * acceptance is remembered in Redis before anything else, then `reset.email_sent` is recorded).
 * The link's host is PUBLIC_WEB_URL, never anything from a request.
 */
@Injectable()
export class ResetEmailDelivery {
  private readonly logger = new Logger(ResetEmailDelivery.name);

  constructor(
    private readonly config: AppConfig,
    private readonly repository: AggregateRepository,
    private readonly commands: CommandBus,
    private readonly read: IdentityReadModels,
    private readonly box: SecretBox,
    private readonly context: MetadataContext,
    private readonly acceptances: AcceptanceRecords,
    private readonly email: EmailChannel,
  ) {}

  async deliver(job: EventJob, attempt: DeliveryAttempt): Promise<DeliveryOutcome> {
    return this.context.run(workerMetadata(job), async () => {
      const resetId = job.streamId.replace(/^reset-/, '');
      const earlier = await this.acceptances.earlier(job.eventId, attempt);
      if (earlier) {
        await this.commands.execute(new RecordResetEmailSentCommand(resetId, job.eventId, earlier.provider, earlier.providerMessageId));
        return 'already_sent';
      }
      const { aggregate: reset, history } = await this.repository.loadWithHistory(PasswordReset, resetId);
      if (reset.emailState !== 'pending') return 'already_sent';
      const event = history.find((e) => e.id === job.eventId);
      if (!event) throw new UndeliverableError(`event ${job.eventId} not found`);
      giveUpIfStalledTooOften(attempt);
      const data = event.data as ResetRequested['data'];
      const sealed = JSON.parse(this.box.decrypt(data.sealed, resetId)) as SealedResetLink;
      const expiresInSeconds = Math.max(60, Math.round((new Date(data.expiresAt).getTime() - event.occurredAt.getTime()) / 1000));
      const link = `${this.config.publicWebUrl}/${sealed.kind === 'invitation' ? 'set-password' : 'reset-password'}?token=${encodeURIComponent(sealed.token)}`;
      // Both name the account: an email can be a user's in several accounts, and a reset asked
      // for by email sends one link per account (someone may have signed up accounts with it).
      const accountName = (await this.read.accountNames([data.accountId])).get(data.accountId)?.name;
      const content =
        sealed.kind === 'invitation'
          ? render('invitation-email', sealed.locale, { link, expiresInSeconds, accountName })
          : render('password-reset-email', sealed.locale, { link, expiresInSeconds, accountName });
      const accepted = await this.email.send({ to: sealed.email, ...content, idempotencyKey: job.eventId });
      await this.acceptances.remember(job.eventId, accepted);
      try {
        if (reset.recordSent(job.eventId, accepted.provider, accepted.providerMessageId)) await this.repository.save(reset);
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        await this.commands.execute(new RecordResetEmailSentCommand(resetId, job.eventId, accepted.provider, accepted.providerMessageId));
      }
      this.logger.log(`${sealed.kind} email for ${resetId} accepted by ${accepted.provider}`);
      return 'sent';
    });
  }

  async fail(job: EventJob, reason: string): Promise<void> {
    await this.context.run(workerMetadata(job), async () => {
      await this.commands.execute(new RecordResetEmailFailedCommand(job.streamId.replace(/^reset-/, ''), job.eventId, reason));
      this.logger.warn(`reset email ${job.eventId} not delivered (${reason})`);
    });
  }
}
