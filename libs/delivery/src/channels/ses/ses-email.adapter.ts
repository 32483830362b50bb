import { SESClient, SendEmailCommand, type SESClientConfig } from '@aws-sdk/client-ses';
import type { OnModuleDestroy } from '@nestjs/common';
import { ConfigError, type AppConfig } from '@latchkey/config';
import { EmailChannel, TransientDeliveryError, type Accepted, type EmailMessage } from '../channel-ports';
import { SES, sesDeliveryError } from './ses-errors';

export interface SesEmailOptions {
  /**
   * Credentials for the SES client. Production leaves this unset: the AWS SDK's default chain
   * (environment, shared files, web identity, container or instance role) supplies them. Tests
   * against a local SES-compatible server pass static dummy ones.
   */
  credentials?: SESClientConfig['credentials'];
}

/**
 * Email through Amazon SES's v1 `SendEmail`: text and HTML bodies in UTF-8 from EMAIL_FROM, in
 * AWS_REGION, at SES_ENDPOINT when set (a local SES-compatible server). SES v1 has no
 * client-chosen message id or idempotency token, so the idempotency key is not sent: a retried
 * job is kept from sending twice by the processor recording SES's MessageId before it acks.
 */
export class SesEmail extends EmailChannel implements OnModuleDestroy {
  private readonly client: SESClient;
  private readonly from: string;
  private readonly timeoutMs: number;

  constructor(config: AppConfig, options: SesEmailOptions = {}) {
    super();
    const { region, endpoint } = config.ses;
    const from = config.email.from;
    // The configuration schema already requires both when EMAIL_PROVIDER is ses; this guards other callers.
    if (!region || !from) {
      throw new ConfigError(
        [!region && 'AWS_REGION', !from && 'EMAIL_FROM']
          .filter((v): v is string => typeof v === 'string')
          .map((variable) => ({ variable, message: 'is missing (required when EMAIL_PROVIDER is ses)' })),
      );
    }
    this.client = new SESClient({
      region,
      ...(endpoint ? { endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      // The queue retries with back-off and a rate limit; SDK retries inside one attempt would
      // stretch it past DELIVERY_TIMEOUT_SECONDS and hide throttling from the queue.
      maxAttempts: 1,
    });
    this.from = from;
    this.timeoutMs = config.delivery.timeoutMs;
  }

  async send(message: EmailMessage): Promise<Accepted> {
    const command = new SendEmailCommand({
      Source: this.from,
      Destination: { ToAddresses: [message.to] },
      Message: {
        Subject: { Data: message.subject, Charset: 'UTF-8' },
        Body: {
          Text: { Data: message.text, Charset: 'UTF-8' },
          Html: { Data: message.html, Charset: 'UTF-8' },
        },
      },
    });
    let messageId: string | undefined;
    try {
      ({ MessageId: messageId } = await this.client.send(command, { abortSignal: AbortSignal.timeout(this.timeoutMs) }));
    } catch (error) {
      throw sesDeliveryError(error);
    }
    if (!messageId) throw new TransientDeliveryError(SES, 'unexpected_response', 200);
    return { provider: SES, providerMessageId: messageId };
  }

  onModuleDestroy(): void {
    this.client.destroy();
  }
}
