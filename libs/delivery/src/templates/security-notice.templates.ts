import type { Channel, Locale } from '@latchkey/identity';
import { composeEmail, type EmailContent } from './email-layout';

/**
 * What changed about how the user signs in: the password, or where their one-time codes go
 * (`destination` is masked, as on the login page).
 */
export type SecurityNotice = { change: 'password' } | { change: 'codes'; channel: Channel; destination: string };

interface NoticeStrings {
  passwordSubject: string;
  passwordChanged: string;
  codesSubject: string;
  codesGoTo: (channel: string, destination: string) => string;
  channels: Record<Channel, string>;
  notYou: string;
}

const STRINGS: Record<Locale, NoticeStrings> = {
  en: {
    passwordSubject: 'Your password was changed',
    passwordChanged: 'The password of your account was just changed.',
    codesSubject: 'Your sign-in codes go somewhere new',
    codesGoTo: (channel, destination) => `From now on, your sign-in codes are sent by ${channel} to ${destination}.`,
    channels: { sms: 'SMS', voice: 'voice call', email: 'email' },
    notYou: 'If you did not make this change, reset your password at once and tell your administrator.',
  },
  de: {
    passwordSubject: 'Ihr Passwort wurde geändert',
    passwordChanged: 'Das Passwort Ihres Kontos wurde soeben geändert.',
    codesSubject: 'Ihre Anmeldecodes gehen an ein neues Ziel',
    codesGoTo: (channel, destination) => `Ab jetzt werden Ihre Anmeldecodes per ${channel} an ${destination} gesendet.`,
    channels: { sms: 'SMS', voice: 'Anruf', email: 'E-Mail' },
    notYou: 'Wenn Sie diese Änderung nicht vorgenommen haben, setzen Sie Ihr Passwort sofort zurück und informieren Sie Ihre Administration.',
  },
  es: {
    passwordSubject: 'Se ha cambiado tu contraseña',
    passwordChanged: 'Se acaba de cambiar la contraseña de tu cuenta.',
    codesSubject: 'Tus códigos de acceso van a otro destino',
    codesGoTo: (channel, destination) => `A partir de ahora, tus códigos de acceso se envían por ${channel} a ${destination}.`,
    channels: { sms: 'SMS', voice: 'llamada de voz', email: 'correo electrónico' },
    notYou: 'Si no has hecho este cambio, restablece tu contraseña de inmediato y avisa a tu administrador.',
  },
  fr: {
    passwordSubject: 'Votre mot de passe a été modifié',
    passwordChanged: 'Le mot de passe de votre compte vient d’être modifié.',
    codesSubject: 'Vos codes de connexion ont une nouvelle destination',
    codesGoTo: (channel, destination) => `Désormais, vos codes de connexion sont envoyés par ${channel} à ${destination}.`,
    channels: { sms: 'SMS', voice: 'appel vocal', email: 'e-mail' },
    notYou: 'Si vous n’êtes pas à l’origine de ce changement, réinitialisez votre mot de passe immédiatement et prévenez votre administrateur.',
  },
  hr: {
    passwordSubject: 'Vaša lozinka je promijenjena',
    passwordChanged: 'Lozinka vašeg računa upravo je promijenjena.',
    codesSubject: 'Vaši kodovi za prijavu idu na novo odredište',
    codesGoTo: (channel, destination) => `Od sada se vaši kodovi za prijavu šalju putem: ${channel}, na ${destination}.`,
    channels: { sms: 'SMS', voice: 'glasovni poziv', email: 'e-pošta' },
    notYou: 'Ako vi niste napravili ovu promjenu, odmah ponovno postavite lozinku i obavijestite administratora.',
  },
};

/** Tells the user that how they sign in changed, so that a change they did not make is noticed. */
export function securityNoticeEmail(locale: Locale, notice: SecurityNotice): EmailContent {
  const s = STRINGS[locale];
  return composeEmail(locale, {
    subject: notice.change === 'password' ? s.passwordSubject : s.codesSubject,
    blocks: [
      { paragraph: notice.change === 'password' ? s.passwordChanged : s.codesGoTo(s.channels[notice.channel], notice.destination) },
      { note: s.notYou },
    ],
  });
}
