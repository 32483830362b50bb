import { Injectable, Logger } from '@nestjs/common';
import { EventStore, MetadataContext } from '@latchkey/event-store';
import { EmailChannel, render, type EventJob, type SecurityNotice } from '@latchkey/delivery';
import { IdentityReadModels, PasswordChanged, availableChannels, maskEmail, maskPhone, type UserPreferencesChanged, type UserRow } from '@latchkey/identity';
import { AcceptanceRecords, UndeliverableError, giveUpIfStalledTooOften, workerMetadata, type DeliveryAttempt, type DeliveryOutcome } from './acceptance-records';

/**
 * Tells a user by email that how they sign in changed — their password, or where their codes go
 * (phone, channel) — so that a change they did not make (a stolen session, an admin's mistake)
 * does not go unnoticed. At most once per change (the provider's acceptance is remembered before
 * anything else, as for codes); the result is logged, not recorded as an event.
 */
@Injectable()
export class SecurityNoticeDelivery {
  private readonly logger = new Logger(SecurityNoticeDelivery.name);

  constructor(
    private readonly store: EventStore,
    private readonly read: IdentityReadModels,
    private readonly context: MetadataContext,
    private readonly acceptances: AcceptanceRecords,
    private readonly email: EmailChannel,
  ) {}

  async deliver(job: EventJob, attempt: DeliveryAttempt): Promise<DeliveryOutcome> {
    return this.context.run(workerMetadata(job), async () => {
      // Looked up on every run, the first too: a notice leaves no record in its stream, so a
      // relay replay after its job was trimmed would find nothing else to say it went out.
      if (await this.acceptances.earlier(job.eventId, { first: false })) return 'already_sent';
      const event = await this.store.readEvent(job.globalPosition, job.eventId);
      if (!event) throw new UndeliverableError(`event ${job.eventId} not found`);
      // News that old is no longer news (a replay, a worker down for a day): not sent.
      if (Date.now() - event.occurredAt.getTime() > NOTICE_MAX_AGE_MS) return 'stale';
      const user = await this.read.userById(job.streamId.replace(/^user-/, ''));
      // A user who is gone, or disabled (their sessions ended with it), needs no notice.
      if (!user || !user.enabled) return 'stale';
      giveUpIfStalledTooOften(attempt);
      const notice = event.type === PasswordChanged.type ? ({ change: 'password' } as const) : codesNotice(user, event.data as UserPreferencesChanged['data']);
      const accepted = await this.email.send({ to: user.email, ...render('security-notice-email', user.locale, notice), idempotencyKey: job.eventId });
      await this.acceptances.remember(job.eventId, accepted);
      this.logger.log(`security notice (${notice.change}) for user ${user.id} accepted by ${accepted.provider}`);
      return 'sent';
    });
  }

  async fail(job: EventJob, reason: string): Promise<void> {
    this.logger.warn(`security notice ${job.eventId} not delivered (${reason})`);
  }
}

/** A notice is sent within a day of its change, or not at all. */
const NOTICE_MAX_AGE_MS = 24 * 3600_000;

/**
 * What the change did: the phone it set or removed (a phone can receive codes whatever the
 * preferred channel: the user may pick it, and a failed email falls back to it), and where the
 * codes go first now.
 */
function codesNotice(user: UserRow, change: UserPreferencesChanged['data']): SecurityNotice {
  const phone = change.phone !== undefined ? change.phone : user.phone;
  const [channel] = availableChannels(change.twoFactorChannel ?? user.twoFactorChannel, phone);
  return {
    change: 'codes',
    ...(change.phone === null ? { phone: 'removed' as const } : change.phone ? { phone: { set: maskPhone(change.phone) } } : {}),
    channel,
    destination: channel === 'email' ? maskEmail(user.email) : maskPhone(phone!),
  };
}
