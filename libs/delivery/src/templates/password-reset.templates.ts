import type { Locale } from '@latchkey/identity';
import { formatDuration } from './durations';
import { composeEmail, type EmailContent } from './email-layout';

interface ResetStrings {
  subject: string;
  intro: string;
  /** Which account the link is for: an email can be a user's in several accounts (anyone can sign one up with it). */
  account: (name: string) => string;
  action: string;
  expires: (duration: string) => string;
  safety: string;
}

const STRINGS: Record<Locale, ResetStrings> = {
  en: {
    subject: 'Reset your password',
    intro: 'Someone asked to reset the password of your account. To choose a new password, open this link:',
    account: (n) => `This link is for your user in the account “${n}”.`,
    action: 'Choose a new password',
    expires: (d) => `The link works once and expires in ${d}.`,
    safety: 'If you did not ask for this, ignore this email: your password stays unchanged. We will never ask you for your password.',
  },
  de: {
    subject: 'Passwort zurücksetzen',
    intro: 'Jemand hat angefordert, das Passwort Ihres Kontos zurückzusetzen. Öffnen Sie diesen Link, um ein neues Passwort festzulegen:',
    account: (n) => `Dieser Link gilt für Ihren Zugang im Konto „${n}“.`,
    action: 'Neues Passwort festlegen',
    expires: (d) => `Der Link funktioniert einmal und läuft in ${d} ab.`,
    safety: 'Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: Ihr Passwort bleibt unverändert. Wir fragen Sie nie nach Ihrem Passwort.',
  },
  es: {
    subject: 'Restablece tu contraseña',
    intro: 'Alguien ha solicitado restablecer la contraseña de tu cuenta. Para elegir una contraseña nueva, abre este enlace:',
    account: (n) => `Este enlace es para tu usuario en la cuenta «${n}».`,
    action: 'Elegir una contraseña nueva',
    expires: (d) => `El enlace solo funciona una vez y caduca en ${d}.`,
    safety: 'Si no lo has solicitado, ignora este correo: tu contraseña no cambiará. Nunca te pediremos tu contraseña.',
  },
  fr: {
    subject: 'Réinitialisez votre mot de passe',
    intro: 'Une réinitialisation du mot de passe de votre compte a été demandée. Pour choisir un nouveau mot de passe, ouvrez ce lien :',
    account: (n) => `Ce lien concerne votre utilisateur dans le compte « ${n} ».`,
    action: 'Choisir un nouveau mot de passe',
    expires: (d) => `Le lien ne fonctionne qu'une fois et expire dans ${d}.`,
    safety: "Si vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail : votre mot de passe reste inchangé. Nous ne vous demanderons jamais votre mot de passe.",
  },
  hr: {
    subject: 'Ponovno postavljanje lozinke',
    intro: 'Zatraženo je ponovno postavljanje lozinke vašeg računa. Za odabir nove lozinke otvorite ovu poveznicu:',
    account: (n) => `Ova poveznica vrijedi za vašeg korisnika u računu „${n}”.`,
    action: 'Odaberite novu lozinku',
    expires: (d) => `Poveznica vrijedi jednom i istječe za ${d}.`,
    safety: 'Ako to niste zatražili, zanemarite ovu poruku: lozinka vam ostaje nepromijenjena. Nikada vas nećemo pitati za lozinku.',
  },
};

export function passwordResetEmail(locale: Locale, params: { link: string; expiresInSeconds: number; accountName?: string }): EmailContent {
  const s = STRINGS[locale];
  const accountName = params.accountName?.replace(/\s+/g, ' ').trim() || undefined;
  return composeEmail(locale, {
    subject: s.subject,
    blocks: [
      { paragraph: s.intro },
      ...(accountName ? [{ paragraph: s.account(accountName) }] : []),
      { action: { label: s.action, link: params.link } },
      { paragraph: s.expires(formatDuration(params.expiresInSeconds, locale)) },
      { note: s.safety },
    ],
  });
}
