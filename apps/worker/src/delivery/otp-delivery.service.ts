import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@latchkey/config';
import { EventStore, MetadataContext } from '@latchkey/event-store';
import { EmailChannel, OTP_TEXTS, SmsChannel, VoiceChannel, type Accepted, type DeliverOtpJob } from '@latchkey/delivery';
import { closestLocale, type OtpResent, type SealedCode } from '@latchkey/identity';
import { SecretBox } from '@latchkey/security';

/** A job that can never succeed (its event is gone or unreadable): retrying would not help. */
export class UndeliverableError extends Error {}

/**
 * Sends one code: loads the event the job points at, opens the sealed code just before
 * sending (it never sits in Redis or a log line), renders the message in the user's language
 * and hands it to the channel.
 */
@Injectable()
export class OtpDelivery {
  private readonly logger = new Logger(OtpDelivery.name);

  constructor(
    private readonly config: AppConfig,
    private readonly store: EventStore,
    private readonly box: SecretBox,
    private readonly context: MetadataContext,
    private readonly sms: SmsChannel,
    private readonly voice: VoiceChannel,
    private readonly email: EmailChannel,
  ) {}

  async deliver(job: DeliverOtpJob): Promise<Accepted> {
    return this.context.run({ correlationId: job.correlationId, causationId: job.eventId, actor: { type: 'system', id: 'worker' } }, async () => {
      const event = await this.store.readEvent(job.globalPosition, job.eventId);
      if (!event) throw new UndeliverableError(`event ${job.eventId} not found`);
      const data = event.data as OtpResent['data'];
      const sealed = JSON.parse(this.box.decrypt(data.sealed, data.loginId)) as SealedCode;
      const texts = OTP_TEXTS[closestLocale(sealed.locale)];
      let accepted: Accepted;
      switch (sealed.channel) {
        case 'sms':
          accepted = await this.sms.send({ to: sealed.destination, text: texts.sms(sealed.code) });
          break;
        case 'voice':
          accepted = await this.voice.call({ to: sealed.destination, text: texts.voice(sealed.code), language: closestLocale(sealed.locale) });
          break;
        default: {
          const minutes = Math.round(this.config.otp.ttlSeconds / 60);
          const text = texts.emailBody(sealed.code, minutes);
          accepted = await this.email.send({
            to: sealed.destination,
            subject: texts.emailSubject,
            text,
            html: `<p>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</p>`,
          });
        }
      }
      this.logger.log(`code for challenge ${data.loginId} accepted by ${accepted.provider} (${sealed.channel})`);
      return accepted;
    });
  }
}
