import { closestLocale, type Locale } from '@latchkey/identity';
import type { EmailContent } from './email-layout';
import { invitationEmail } from './invitation.templates';
import { otpEmail, otpSms, otpVoice } from './otp.templates';
import { passwordResetEmail } from './password-reset.templates';
import { securityNoticeEmail, type SecurityNotice } from './security-notice.templates';

/** What each message needs. Expiries are in seconds, like the TTLs in the configuration. */
export interface TemplateParams {
  'otp-sms': { code: string };
  'otp-voice': { code: string };
  'otp-email': { code: string; expiresInSeconds: number };
  /** `link`: `${PUBLIC_WEB_URL}/reset-password?token=…`. */
  'password-reset-email': { link: string; expiresInSeconds: number; accountName?: string };
  /** `link`: `${PUBLIC_WEB_URL}/set-password?token=…`; `accountName`, when given, names who invites. */
  'invitation-email': { link: string; expiresInSeconds: number; accountName?: string };
  /** The password changed, or where the codes go (destination masked). */
  'security-notice-email': SecurityNotice;
}

export interface TextContent {
  text: string;
}

export interface TemplateOutput {
  'otp-sms': TextContent;
  'otp-voice': TextContent;
  'otp-email': EmailContent;
  'password-reset-email': EmailContent;
  'invitation-email': EmailContent;
  'security-notice-email': EmailContent;
}

export type TemplateKind = keyof TemplateParams;

export const TEMPLATE_KINDS: readonly TemplateKind[] = ['otp-sms', 'otp-voice', 'otp-email', 'password-reset-email', 'invitation-email', 'security-notice-email'];

const TEMPLATES: { [K in TemplateKind]: (locale: Locale, params: TemplateParams[K]) => TemplateOutput[K] } = {
  'otp-sms': otpSms,
  'otp-voice': otpVoice,
  'otp-email': otpEmail,
  'password-reset-email': passwordResetEmail,
  'invitation-email': invitationEmail,
  'security-notice-email': securityNoticeEmail,
};

/**
 * A message in the user's language: `locale` is any BCP 47 tag and falls back to the closest
 * supported language, then English. Email HTML escapes every parameter.
 */
export function render<K extends TemplateKind>(kind: K, locale: string | null | undefined, params: TemplateParams[K]): TemplateOutput[K] {
  return TEMPLATES[kind](closestLocale(locale), params);
}
