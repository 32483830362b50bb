/** What a provider answers when it accepted a message. */
export interface Accepted {
  provider: string;
  providerMessageId: string;
}

export interface SmsMessage {
  to: string;
  text: string;
}

export interface VoiceMessage {
  to: string;
  text: string;
  /** BCP 47 language of the text, for text-to-speech. */
  language: string;
}

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Channel ports: the processors depend on these; adapters (console, infobip, ses) implement them. */
export abstract class SmsChannel {
  abstract send(message: SmsMessage): Promise<Accepted>;
}

export abstract class VoiceChannel {
  abstract call(message: VoiceMessage): Promise<Accepted>;
}

export abstract class EmailChannel {
  abstract send(message: EmailMessage): Promise<Accepted>;
}
