import { Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { AppConfig } from '@latchkey/config';
import { AggregateRepository, ConcurrencyError, EventStore, MetadataContext, type EventMetadata, type StoredEvent } from '@latchkey/event-store';
import {
  EmailChannel,
  PermanentDeliveryError,
  SmsChannel,
  VoiceChannel,
  eachSettled,
  render,
  type Accepted,
  type DeliverOtpJob,
  type EmailMessage,
  type SmsMessage,
  type VoiceMessage,
} from '@latchkey/delivery';
import { Login, RecordOtpDeliveredCommand, RecordOtpFailedCommand, closestLocale, type OtpResent, type SealedCode } from '@latchkey/identity';
import { MetricsService } from '@latchkey/platform';
import { SecretBox } from '@latchkey/security';
import { Counter, Histogram } from 'prom-client';
import { AcceptanceRecords, UndeliverableError, giveUpIfStalledTooOften, workerMetadata, type DeliveryAttempt, type DeliveryOutcome } from './acceptance-records';
import { Batcher } from './batcher';

/** How many jobs may share one read, provider request or append. */
const MAX_SHARED = 100;
/** Provider requests in flight at once per channel: a job that comes while one runs need not wait for all of it. */
const SEND_LANES = 2;

/**
 * Sends one code, at most once: loads the event the job points at, opens the sealed code just
 * before sending (it never sits in Redis or a log line), renders it in the user's language and
 * hands it to the channel. The provider's acceptance is written to Redis before anything else
 * and checked before every send, so a retried job (worker crash, Redis hiccup, replayed relay)
 * does not send a second message; then `OtpDelivered` is appended to the login stream.
 */
@Injectable()
export class OtpDelivery {
  private readonly logger = new Logger(OtpDelivery.name);
  private readonly sent: Counter<'channel' | 'provider' | 'outcome'>;
  private readonly latency: Histogram<'channel'>;

  /**
   * Concurrent jobs share round trips (see `Batcher`): the challenges' reads, the provider
   * requests (Infobip takes several messages per request) and the appends recording the
   * deliveries. Each job still gets its own outcome and records its own acceptance first.
   */
  private readonly loads = new Batcher<string, { aggregate: Login; history: StoredEvent[] }>(
    (ids) => this.repository.loadManyWithHistory(Login, ids),
    MAX_SHARED,
  );
  private readonly sends = {
    sms: new Batcher<SmsMessage, Accepted>((messages) => this.sms.sendMany(messages), MAX_SHARED, SEND_LANES),
    voice: new Batcher<VoiceMessage, Accepted>((messages) => this.voice.callMany(messages), MAX_SHARED, SEND_LANES),
    email: new Batcher<EmailMessage, Accepted>((messages) => this.email.sendMany(messages), MAX_SHARED, SEND_LANES),
  };
  private readonly saves = new Batcher<{ login: Login; metadata: EventMetadata }, void>((items) => this.saveTogether(items), MAX_SHARED);

  constructor(
    private readonly config: AppConfig,
    private readonly store: EventStore,
    private readonly repository: AggregateRepository,
    private readonly commands: CommandBus,
    private readonly box: SecretBox,
    private readonly context: MetadataContext,
    private readonly acceptances: AcceptanceRecords,
    private readonly sms: SmsChannel,
    private readonly voice: VoiceChannel,
    private readonly email: EmailChannel,
    metrics: MetricsService,
  ) {
    this.sent = new Counter({
      name: 'latchkey_otp_deliveries_total',
      help: 'One-time-code deliveries by channel, provider and outcome',
      labelNames: ['channel', 'provider', 'outcome'] as const,
      registers: [metrics.registry],
    });
    this.latency = new Histogram({
      name: 'latchkey_otp_delivery_latency_seconds',
      help: 'From the code event being committed to the provider accepting the message',
      labelNames: ['channel'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [metrics.registry],
    });
  }

  async deliver(job: DeliverOtpJob, attempt: DeliveryAttempt): Promise<DeliveryOutcome> {
    return this.context.run(workerMetadata(job), async () => {
      const loginId = job.streamId.replace(/^login-/, '');
      const earlier = await this.acceptances.earlier<Accepted & { channel: SealedCode['channel'] }>(job.eventId, attempt);
      if (earlier) {
        await this.commands.execute(new RecordOtpDeliveredCommand(loginId, job.eventId, earlier.channel, earlier.provider, earlier.providerMessageId));
        this.sent.inc({ channel: earlier.channel, provider: earlier.provider, outcome: 'already_sent' });
        return 'already_sent';
      }
      // One read gives both the challenge's state and the event to send.
      const { aggregate: login, history } = await this.loads.submit(loginId);
      if (login.deliveryOf(job.eventId) !== 'pending') return 'already_sent';
      if (login.status !== 'awaiting_otp') return 'stale'; // verified or abandoned meanwhile: nothing to send
      // A resend made this code void before it went out (jobs backed up, the worker down): sending
      // it would cost a message and, typed in, one of the user's attempts.
      if (!login.isCurrentCode(job.eventId)) return 'stale';
      const event = history.find((e) => e.id === job.eventId);
      if (!event) throw new UndeliverableError(`event ${job.eventId} not found`);
      // Only now, with nothing else left to settle the job: about to send.
      giveUpIfStalledTooOften(attempt);
      const data = event.data as OtpResent['data'];
      const sealed = JSON.parse(this.box.decrypt(data.sealed, data.loginId)) as SealedCode;
      const accepted = await this.send(sealed, job.eventId);
      // Remember first: from here on, a retry must not send again.
      await this.acceptances.remember(job.eventId, { ...accepted, channel: sealed.channel });
      this.latency.observe({ channel: sealed.channel }, (Date.now() - event.occurredAt.getTime()) / 1000);
      this.sent.inc({ channel: sealed.channel, provider: accepted.provider, outcome: 'sent' });
      // Usually nobody else wrote to the challenge meanwhile: append at the version just read;
      // otherwise record it through the command, which takes turns with the other writers.
      try {
        if (login.recordDelivered(job.eventId, sealed.channel, accepted.provider, accepted.providerMessageId)) await this.saves.submit({ login, metadata: this.context.current() });
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        await this.commands.execute(new RecordOtpDeliveredCommand(loginId, job.eventId, sealed.channel, accepted.provider, accepted.providerMessageId));
      }
      this.logger.log(`code for challenge ${data.loginId} accepted by ${accepted.provider} (${sealed.channel})`);
      return 'sent';
    });
  }

  /** The code will not arrive: recorded, and a new one goes out on the next channel if there is one. */
  async fail(job: DeliverOtpJob, channel: SealedCode['channel'], reason: string): Promise<void> {
    await this.context.run(workerMetadata(job), async () => {
      const loginId = job.streamId.replace(/^login-/, '');
      const { fallback } = await this.commands.execute(new RecordOtpFailedCommand(loginId, job.eventId, channel, reason));
      this.sent.inc({ channel, provider: 'none', outcome: 'failed' });
      this.logger.warn(`code for challenge ${loginId} not delivered by ${channel} (${reason})${fallback ? `; a new code goes by ${fallback}` : ''}`);
    });
  }

  /** The channel a job's event is for (without opening the code). */
  async channelOf(job: DeliverOtpJob): Promise<SealedCode['channel']> {
    const event = await this.store.readEvent(job.globalPosition, job.eventId);
    return ((event?.data as OtpResent['data'] | undefined)?.channel ?? 'sms') as SealedCode['channel'];
  }

  private async send(sealed: SealedCode, idempotencyKey: string): Promise<Accepted> {
    const locale = closestLocale(sealed.locale);
    switch (sealed.channel) {
      case 'sms':
        return this.sends.sms.submit({ to: sealed.destination, text: render('otp-sms', locale, { code: sealed.code }).text, idempotencyKey });
      case 'voice':
        return this.sends.voice.submit({ to: sealed.destination, text: render('otp-voice', locale, { code: sealed.code }).text, language: locale, idempotencyKey });
      default: {
        const email = render('otp-email', locale, { code: sealed.code, expiresInSeconds: this.config.otp.ttlSeconds });
        return this.sends.email.submit({ to: sealed.destination, ...email, idempotencyKey });
      }
    }
  }

  /**
   * Several jobs' deliveries in one append, each event with its own job's metadata. When a
   * challenge moved meanwhile (a resend, a verification), that append fails as a whole: each is
   * then saved alone, and the job whose challenge moved records through the command.
   */
  private async saveTogether(items: readonly { login: Login; metadata: EventMetadata }[]): Promise<(void | Error)[]> {
    const metadata = new Map<unknown, EventMetadata>(items.map((i) => [i.login, i.metadata]));
    try {
      await this.repository.save(
        items.map((i) => i.login),
        { metadataOf: (aggregate) => metadata.get(aggregate) },
      );
      return items.map(() => undefined);
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || items.length === 1) throw error;
      return eachSettled(items, async (i) => void (await this.repository.save(i.login, { metadata: i.metadata })));
    }
  }

  /** Whether an error means the provider refused for good (no retry will help). */
  static isPermanent(error: unknown): boolean {
    return error instanceof PermanentDeliveryError || error instanceof UndeliverableError;
  }
}
