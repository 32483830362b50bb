import { ConfigError, type AppConfig } from '@latchkey/config';
import { SmsChannel, type Accepted, type SmsMessage } from '../channel-ports';
import { InfobipClient, infobipAddress } from './infobip.client';

/**
 * SMS through Infobip's SMS API v3 (`POST /sms/3/messages`): one message, one destination,
 * text content, the configured sender. The job's idempotency key becomes the destination's
 * `messageId`: Infobip lets the client choose it (it generates one otherwise), echoes it in the
 * answer and reports the message under it, so a send retried after a crash is recognizable in
 * Infobip's logs (`GET /sms/3/logs?messageId=`). Infobip does not document rejecting a repeated
 * messageId, so this recognizes a duplicate; it does not prevent one.
 */
export class InfobipSms extends SmsChannel {
  private readonly client: InfobipClient;
  private readonly sender: string;

  constructor(config: AppConfig) {
    super();
    if (!config.infobip.sender) {
      throw new ConfigError([{ variable: 'INFOBIP_SENDER', message: 'is missing (required when SMS_PROVIDER is infobip: the SMS API needs a sender)' }]);
    }
    this.client = new InfobipClient(config);
    this.sender = config.infobip.sender;
  }

  async send(message: SmsMessage): Promise<Accepted> {
    const destination: { to: string; messageId?: string } = { to: infobipAddress(message.to) };
    if (message.idempotencyKey) destination.messageId = message.idempotencyKey;
    return this.client.send(
      '/sms/3/messages',
      { messages: [{ sender: this.sender, destinations: [destination], content: { text: message.text } }] },
      message.idempotencyKey,
    );
  }
}
