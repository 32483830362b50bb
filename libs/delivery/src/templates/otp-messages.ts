import type { Locale } from '@latchkey/identity';

interface OtpTexts {
  sms: (code: string) => string;
  /** Spoken: the digits one by one, twice. */
  voice: (digits: string) => string;
  emailSubject: string;
  emailBody: (code: string, minutes: number) => string;
}

const spaced = (code: string) => code.split('').join(', ');

export const OTP_TEXTS: Record<Locale, OtpTexts> = {
  en: {
    sms: (code) => `${code} is your latchkey verification code. Do not share it.`,
    voice: (code) => `Your verification code is ${spaced(code)}. Again: ${spaced(code)}.`,
    emailSubject: 'Your verification code',
    emailBody: (code, minutes) => `Your verification code is ${code}. It expires in ${minutes} minutes. If you did not try to log in, change your password.`,
  },
  de: {
    sms: (code) => `${code} ist Ihr latchkey-Bestätigungscode. Geben Sie ihn nicht weiter.`,
    voice: (code) => `Ihr Bestätigungscode lautet ${spaced(code)}. Noch einmal: ${spaced(code)}.`,
    emailSubject: 'Ihr Bestätigungscode',
    emailBody: (code, minutes) => `Ihr Bestätigungscode lautet ${code}. Er läuft in ${minutes} Minuten ab. Wenn Sie sich nicht anmelden wollten, ändern Sie Ihr Passwort.`,
  },
  es: {
    sms: (code) => `${code} es tu código de verificación de latchkey. No lo compartas.`,
    voice: (code) => `Tu código de verificación es ${spaced(code)}. Otra vez: ${spaced(code)}.`,
    emailSubject: 'Tu código de verificación',
    emailBody: (code, minutes) => `Tu código de verificación es ${code}. Caduca en ${minutes} minutos. Si no intentaste iniciar sesión, cambia tu contraseña.`,
  },
  fr: {
    sms: (code) => `${code} est votre code de vérification latchkey. Ne le partagez pas.`,
    voice: (code) => `Votre code de vérification est ${spaced(code)}. Je répète : ${spaced(code)}.`,
    emailSubject: 'Votre code de vérification',
    emailBody: (code, minutes) => `Votre code de vérification est ${code}. Il expire dans ${minutes} minutes. Si vous n'avez pas essayé de vous connecter, changez votre mot de passe.`,
  },
  hr: {
    sms: (code) => `${code} je vaš latchkey kôd za potvrdu. Ne dijelite ga.`,
    voice: (code) => `Vaš kôd za potvrdu je ${spaced(code)}. Ponavljam: ${spaced(code)}.`,
    emailSubject: 'Vaš kôd za potvrdu',
    emailBody: (code, minutes) => `Vaš kôd za potvrdu je ${code}. Istječe za ${minutes} minuta. Ako se niste pokušali prijaviti, promijenite lozinku.`,
  },
};
