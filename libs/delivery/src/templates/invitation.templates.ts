import type { Locale } from '@latchkey/identity';
import { formatDuration } from './durations';
import { composeEmail, type EmailContent } from './email-layout';

interface InvitationStrings {
  subject: (accountName: string | undefined) => string;
  intro: (accountName: string | undefined) => string;
  action: string;
  expires: (duration: string) => string;
  safety: string;
}

const STRINGS: Record<Locale, InvitationStrings> = {
  en: {
    subject: (a) => (a ? `You are invited to ${a}` : 'You are invited to latchkey'),
    intro: (a) => `${a ? `An administrator of ${a}` : 'An administrator'} created an account for you. To set your password, open this link:`,
    action: 'Set your password',
    expires: (d) => `The link works once and expires in ${d}.`,
    safety: 'If you were not expecting this invitation, ignore this email. We will never ask you for your password.',
  },
  de: {
    subject: (a) => (a ? `Einladung zu ${a}` : 'Ihre Einladung zu latchkey'),
    intro: (a) => `${a ? `Ein Administrator von ${a}` : 'Ein Administrator'} hat ein Konto für Sie angelegt. Öffnen Sie diesen Link, um Ihr Passwort festzulegen:`,
    action: 'Passwort festlegen',
    expires: (d) => `Der Link funktioniert einmal und läuft in ${d} ab.`,
    safety: 'Wenn Sie diese Einladung nicht erwartet haben, ignorieren Sie diese E-Mail. Wir fragen Sie nie nach Ihrem Passwort.',
  },
  es: {
    subject: (a) => (a ? `Invitación a ${a}` : 'Tu invitación a latchkey'),
    intro: (a) => `${a ? `Un administrador de ${a}` : 'Un administrador'} ha creado una cuenta para ti. Para establecer tu contraseña, abre este enlace:`,
    action: 'Establecer la contraseña',
    expires: (d) => `El enlace solo funciona una vez y caduca en ${d}.`,
    safety: 'Si no esperabas esta invitación, ignora este correo. Nunca te pediremos tu contraseña.',
  },
  fr: {
    subject: (a) => (a ? `Invitation à rejoindre ${a}` : 'Votre invitation à latchkey'),
    intro: (a) => `${a ? `Un administrateur de ${a}` : 'Un administrateur'} vous a créé un compte. Pour définir votre mot de passe, ouvrez ce lien :`,
    action: 'Définir mon mot de passe',
    expires: (d) => `Le lien ne fonctionne qu'une fois et expire dans ${d}.`,
    safety: "Si vous n'attendiez pas cette invitation, ignorez cet e-mail. Nous ne vous demanderons jamais votre mot de passe.",
  },
  hr: {
    subject: (a) => (a ? `Pozivnica za ${a}` : 'Vaša pozivnica za latchkey'),
    intro: (a) => `${a ? `Administrator računa ${a}` : 'Administrator'} otvorio vam je korisnički račun. Za postavljanje lozinke otvorite ovu poveznicu:`,
    action: 'Postavite lozinku',
    expires: (d) => `Poveznica vrijedi jednom i istječe za ${d}.`,
    safety: 'Ako niste očekivali ovu pozivnicu, zanemarite ovu poruku. Nikada vas nećemo pitati za lozinku.',
  },
};

export function invitationEmail(locale: Locale, params: { link: string; expiresInSeconds: number; accountName?: string }): EmailContent {
  const s = STRINGS[locale];
  // A name is one line of text: a newline in it must not start a paragraph or a header-like line.
  const accountName = params.accountName?.replace(/\s+/g, ' ').trim() || undefined;
  return composeEmail(locale, {
    subject: s.subject(accountName),
    blocks: [
      { paragraph: s.intro(accountName) },
      { action: { label: s.action, link: params.link } },
      { paragraph: s.expires(formatDuration(params.expiresInSeconds, locale)) },
      { note: s.safety },
    ],
  });
}
