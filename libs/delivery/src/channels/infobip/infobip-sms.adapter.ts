import { ConfigError, type AppConfig } from '@latchkey/config';
import { SmsChannel, type Accepted, type SmsMessage } from '../channel-ports';
import { InfobipClient, infobipAddress, type InfobipOutgoing } from './infobip.client';

/**
 * SMS through Infobip's SMS API v3 (`POST /sms/3/messages`): per message one destination,
 * text content, the configured sender; several messages may share a request (`sendMany`). The
 * job's idempotency key becomes the destination's `messageId`: Infobip lets the client choose it
 * (it generates one otherwise), echoes it in the answer and reports the message under it, so a
 * send retried after a crash is recognizable in Infobip's logs (`GET /sms/3/logs?messageId=`).
 * Infobip does not document rejecting a repeated messageId, so this recognizes a duplicate; it
 * does not prevent one.
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
    return this.client.send('/sms/3/messages', this.outgoing(message));
  }

  /** Several codes in one request (under load the worker hands over what its concurrent jobs have ready). */
  override sendMany(messages: readonly SmsMessage[]): Promise<(Accepted | Error)[]> {
    return this.client.sendMany('/sms/3/messages', messages.map((m) => this.outgoing(m)));
  }

  private outgoing(message: SmsMessage): InfobipOutgoing {
    const destination: { to: string; messageId?: string } = { to: infobipAddress(message.to) };
    if (message.idempotencyKey) destination.messageId = message.idempotencyKey;
    return { message: { sender: this.sender, destinations: [destination], content: { text: message.text } }, idempotencyKey: message.idempotencyKey };
  }
}
