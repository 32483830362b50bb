import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EmailChannel, SmsChannel, VoiceChannel, type Accepted, type EmailMessage, type SmsMessage, type VoiceMessage } from '../channel-ports';

/**
 * The local default: messages go to the worker's log, code included, so a developer can log in
 * without an SMS or email provider. Never configure it in production.
 */
@Injectable()
export class ConsoleSms extends SmsChannel {
  private readonly logger = new Logger('ConsoleSms');

  async send(message: SmsMessage): Promise<Accepted> {
    this.logger.log(`SMS to ${message.to}: ${message.text}`);
    return { provider: 'console', providerMessageId: randomUUID() };
  }
}

@Injectable()
export class ConsoleVoice extends VoiceChannel {
  private readonly logger = new Logger('ConsoleVoice');

  async call(message: VoiceMessage): Promise<Accepted> {
    this.logger.log(`Voice call to ${message.to} (${message.language}): ${message.text}`);
    return { provider: 'console', providerMessageId: randomUUID() };
  }
}

@Injectable()
export class ConsoleEmail extends EmailChannel {
  private readonly logger = new Logger('ConsoleEmail');

  async send(message: EmailMessage): Promise<Accepted> {
    this.logger.log(`Email to ${message.to} — ${message.subject}: ${message.text}`);
    return { provider: 'console', providerMessageId: randomUUID() };
  }
}
