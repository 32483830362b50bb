export * from './channels/channel-ports';
export { ConsoleEmail, ConsoleSms, ConsoleVoice } from './channels/console/console-channels';
export { DeliveryModule } from './delivery.module';
export * from './queues';
export { OTP_TEXTS } from './templates/otp-messages';
