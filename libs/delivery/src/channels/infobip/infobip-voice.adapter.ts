import type { AppConfig } from '@latchkey/config';
import { VoiceChannel, type Accepted, type VoiceMessage } from '../channel-ports';
import { InfobipClient, infobipAddress, type InfobipOutgoing } from './infobip.client';

/** Infobip text-to-speech language codes for the languages we write messages in. */
const TTS_LANGUAGES: Record<string, string> = { en: 'en', de: 'de', es: 'es', fr: 'fr', hr: 'hr' };

/** The Infobip language for a BCP 47 tag: "de-AT" speaks German; an unknown language falls back to English. */
export function infobipLanguage(tag: string): string {
  return TTS_LANGUAGES[tag.trim().toLowerCase().split(/[-_]/)[0] ?? ''] ?? 'en';
}

/**
 * A text-to-speech call through Infobip's voice API (`POST /tts/3/advanced`). The caller id is
 * INFOBIP_SENDER when it is a number (the voice API takes numeric senders only; without one
 * Infobip presents its default number). The job's idempotency key becomes the destination's
 * `messageId`, as for SMS.
 */
export class InfobipVoice extends VoiceChannel {
  private readonly client: InfobipClient;
  private readonly from: string | undefined;

  constructor(config: AppConfig) {
    super();
    this.client = new InfobipClient(config);
    const sender = config.infobip.sender;
    this.from = sender && /^\+?\d{3,15}$/.test(sender) ? infobipAddress(sender) : undefined;
  }

  async call(message: VoiceMessage): Promise<Accepted> {
    return this.client.send('/tts/3/advanced', this.outgoing(message));
  }

  override callMany(messages: readonly VoiceMessage[]): Promise<(Accepted | Error)[]> {
    return this.client.sendMany('/tts/3/advanced', messages.map((m) => this.outgoing(m)));
  }

  private outgoing(message: VoiceMessage): InfobipOutgoing {
    const destination: { to: string; messageId?: string } = { to: infobipAddress(message.to) };
    if (message.idempotencyKey) destination.messageId = message.idempotencyKey;
    return {
      message: {
        destinations: [destination],
        ...(this.from ? { from: this.from } : {}),
        text: message.text,
        language: infobipLanguage(message.language),
        // A little slower than normal speech, so a listener can write the digits down.
        speechRate: 0.9,
      },
      idempotencyKey: message.idempotencyKey,
    };
  }
}
