import { Global, Module } from '@nestjs/common';
import { EmailChannel, SmsChannel, VoiceChannel } from './channels/channel-ports';
import { ConsoleEmail, ConsoleSms, ConsoleVoice } from './channels/console/console-channels';

/**
 * Channel adapters chosen by configuration (SMS_PROVIDER, VOICE_PROVIDER, EMAIL_PROVIDER).
 * Only the console adapters exist so far; Infobip and SES arrive with the delivery-workers issue.
 */
@Global()
@Module({
  providers: [
    { provide: SmsChannel, useClass: ConsoleSms },
    { provide: VoiceChannel, useClass: ConsoleVoice },
    { provide: EmailChannel, useClass: ConsoleEmail },
  ],
  exports: [SmsChannel, VoiceChannel, EmailChannel],
})
export class DeliveryModule {}
