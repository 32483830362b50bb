import { Global, Module } from '@nestjs/common';
import { AppConfig } from '@latchkey/config';
import { EmailChannel, SmsChannel, VoiceChannel } from './channels/channel-ports';
import { ConsoleEmail, ConsoleSms, ConsoleVoice } from './channels/console/console-channels';
import { InfobipSms } from './channels/infobip/infobip-sms.adapter';
import { InfobipVoice } from './channels/infobip/infobip-voice.adapter';
import { SesEmail } from './channels/ses/ses-email.adapter';

/** The SMS adapter SMS_PROVIDER names (console by default). */
export function smsChannelFor(config: AppConfig): SmsChannel {
  return config.sms.provider === 'infobip' ? new InfobipSms(config) : new ConsoleSms();
}

/** The voice adapter VOICE_PROVIDER names (console by default). */
export function voiceChannelFor(config: AppConfig): VoiceChannel {
  return config.voice.provider === 'infobip' ? new InfobipVoice(config) : new ConsoleVoice();
}

/** The email adapter EMAIL_PROVIDER names (console by default). */
export function emailChannelFor(config: AppConfig): EmailChannel {
  return config.email.provider === 'ses' ? new SesEmail(config) : new ConsoleEmail();
}

/** Channel adapters chosen by configuration (SMS_PROVIDER, VOICE_PROVIDER, EMAIL_PROVIDER). */
@Global()
@Module({
  providers: [
    { provide: SmsChannel, useFactory: smsChannelFor, inject: [AppConfig] },
    { provide: VoiceChannel, useFactory: voiceChannelFor, inject: [AppConfig] },
    { provide: EmailChannel, useFactory: emailChannelFor, inject: [AppConfig] },
  ],
  exports: [SmsChannel, VoiceChannel, EmailChannel],
})
export class DeliveryModule {}
