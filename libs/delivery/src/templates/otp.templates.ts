import type { Locale } from '@latchkey/identity';
import { formatDuration } from './durations';
import { composeEmail, type EmailContent } from './email-layout';

interface OtpStrings {
  /**
   * One SMS segment: GSM-7 only (≤ 160 characters) where the language allows; Spanish and
   * Croatian need letters outside GSM-7 (ó, š, ô), so theirs stay within a UCS-2 segment (≤ 70).
   */
  sms: (code: string) => string;
  /** Spoken: the digits one by one, twice. */
  voice: (spokenDigits: string) => string;
  subject: string;
  intro: string;
  expires: (duration: string) => string;
  safety: string;
}

const STRINGS: Record<Locale, OtpStrings> = {
  en: {
    sms: (code) => `${code} is your latchkey verification code. Do not share it.`,
    voice: (s) => `Your verification code is ${s}. Again: ${s}.`,
    subject: 'Your verification code',
    intro: 'Use this code to finish logging in:',
    expires: (d) => `It expires in ${d}.`,
    safety: 'If you did not try to log in, change your password. Never share this code with anyone.',
  },
  de: {
    sms: (code) => `${code} ist Ihr latchkey-Bestätigungscode. Geben Sie ihn nicht weiter.`,
    voice: (s) => `Ihr Bestätigungscode lautet ${s}. Noch einmal: ${s}.`,
    subject: 'Ihr Bestätigungscode',
    intro: 'Mit diesem Code schließen Sie die Anmeldung ab:',
    expires: (d) => `Er läuft in ${d} ab.`,
    safety: 'Wenn Sie sich nicht anmelden wollten, ändern Sie Ihr Passwort. Geben Sie diesen Code niemandem weiter.',
  },
  es: {
    sms: (code) => `${code} es tu código de verificación de latchkey. No lo compartas.`,
    voice: (s) => `Tu código de verificación es ${s}. Otra vez: ${s}.`,
    subject: 'Tu código de verificación',
    intro: 'Usa este código para terminar de iniciar sesión:',
    expires: (d) => `Caduca en ${d}.`,
    safety: 'Si no intentaste iniciar sesión, cambia tu contraseña. No compartas este código con nadie.',
  },
  fr: {
    sms: (code) => `${code} est votre code de vérification latchkey. Ne le partagez pas.`,
    voice: (s) => `Votre code de vérification est ${s}. Je répète : ${s}.`,
    subject: 'Votre code de vérification',
    intro: 'Utilisez ce code pour terminer votre connexion :',
    expires: (d) => `Il expire dans ${d}.`,
    safety: "Si vous n'avez pas essayé de vous connecter, changez votre mot de passe. Ne communiquez ce code à personne.",
  },
  hr: {
    sms: (code) => `${code} je vaš latchkey kôd za potvrdu. Ne dijelite ga.`,
    voice: (s) => `Vaš kôd za potvrdu je ${s}. Ponavljam: ${s}.`,
    subject: 'Vaš kôd za potvrdu',
    intro: 'Ovim kôdom dovršite prijavu:',
    expires: (d) => `Istječe za ${d}.`,
    safety: 'Ako se niste pokušali prijaviti, promijenite lozinku. Ovaj kôd nemojte nikome davati.',
  },
};

export function otpSms(locale: Locale, params: { code: string }): { text: string } {
  return { text: STRINGS[locale].sms(params.code) };
}

export function otpVoice(locale: Locale, params: { code: string }): { text: string } {
  // Commas make text-to-speech pause between digits, so each one is heard on its own.
  return { text: STRINGS[locale].voice(params.code.split('').join(', ')) };
}

export function otpEmail(locale: Locale, params: { code: string; expiresInSeconds: number }): EmailContent {
  const s = STRINGS[locale];
  return composeEmail(locale, {
    subject: s.subject,
    blocks: [
      { paragraph: s.intro },
      { code: params.code },
      { paragraph: s.expires(formatDuration(params.expiresInSeconds, locale)) },
      { note: s.safety },
    ],
  });
}
