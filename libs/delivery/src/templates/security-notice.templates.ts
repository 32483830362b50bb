import type { Channel, Locale } from '@latchkey/identity';
import { composeEmail, type EmailContent } from './email-layout';

/**
 * What changed about how the user signs in: the password, or where their one-time codes go —
 * the phone (set to a number, masked as on the login page, or removed) and the channel they go
 * by first (`destination` masked).
 */
export type SecurityNotice =
  | { change: 'password' }
  | { change: 'codes'; phone?: { set: string } | 'removed'; channel: Channel; destination: string };

interface NoticeStrings {
  passwordSubject: string;
  passwordChanged: string;
  codesSubject: string;
  phoneSet: (phone: string) => string;
  phoneRemoved: string;
  codesGoTo: (channel: string, destination: string) => string;
  channels: Record<Channel, string>;
  notYou: string;
}

const STRINGS: Record<Locale, NoticeStrings> = {
  en: {
    passwordSubject: 'Your password was changed',
    passwordChanged: 'The password of your account was changed.',
    codesSubject: 'Your sign-in codes go somewhere new',
    phoneSet: (phone) => `Your sign-in codes can now be sent to the phone number ${phone}.`,
    phoneRemoved: 'The phone number for your sign-in codes was removed.',
    codesGoTo: (channel, destination) => `From now on, your sign-in codes are sent by ${channel} to ${destination}.`,
    channels: { sms: 'SMS', voice: 'voice call', email: 'email' },
    notYou: 'If you did not make this change, reset your password at once and tell your administrator.',
  },
  de: {
    passwordSubject: 'Ihr Passwort wurde geändert',
    passwordChanged: 'Das Passwort Ihres Kontos wurde geändert.',
    codesSubject: 'Ihre Anmeldecodes gehen an ein neues Ziel',
    phoneSet: (phone) => `Ihre Anmeldecodes können jetzt an die Telefonnummer ${phone} gesendet werden.`,
    phoneRemoved: 'Die Telefonnummer für Ihre Anmeldecodes wurde entfernt.',
    codesGoTo: (channel, destination) => `Ab jetzt werden Ihre Anmeldecodes per ${channel} an ${destination} gesendet.`,
    channels: { sms: 'SMS', voice: 'Anruf', email: 'E-Mail' },
    notYou: 'Wenn Sie diese Änderung nicht vorgenommen haben, setzen Sie Ihr Passwort sofort zurück und informieren Sie Ihre Administration.',
  },
  es: {
    passwordSubject: 'Se ha cambiado tu contraseña',
    passwordChanged: 'Se ha cambiado la contraseña de tu cuenta.',
    codesSubject: 'Tus códigos de acceso van a otro destino',
    phoneSet: (phone) => `Ahora tus códigos de acceso pueden enviarse al número de teléfono ${phone}.`,
    phoneRemoved: 'Se ha eliminado el número de teléfono para tus códigos de acceso.',
    codesGoTo: (channel, destination) => `A partir de ahora, tus códigos de acceso se envían por ${channel} a ${destination}.`,
    channels: { sms: 'SMS', voice: 'llamada de voz', email: 'correo electrónico' },
    notYou: 'Si no has hecho este cambio, restablece tu contraseña de inmediato y avisa a tu administrador.',
  },
  fr: {
    passwordSubject: 'Votre mot de passe a été modifié',
    passwordChanged: 'Le mot de passe de votre compte a été modifié.',
    codesSubject: 'Vos codes de connexion ont une nouvelle destination',
    phoneSet: (phone) => `Vos codes de connexion peuvent désormais être envoyés au numéro ${phone}.`,
    phoneRemoved: 'Le numéro de téléphone de vos codes de connexion a été supprimé.',
    codesGoTo: (channel, destination) => `Désormais, vos codes de connexion sont envoyés par ${channel} à ${destination}.`,
    channels: { sms: 'SMS', voice: 'appel vocal', email: 'e-mail' },
    notYou: 'Si vous n’êtes pas à l’origine de ce changement, réinitialisez votre mot de passe immédiatement et prévenez votre administrateur.',
  },
  hr: {
    passwordSubject: 'Vaša lozinka je promijenjena',
    passwordChanged: 'Lozinka vašeg računa je promijenjena.',
    codesSubject: 'Vaši kodovi za prijavu idu na novo odredište',
    phoneSet: (phone) => `Vaši kodovi za prijavu sada se mogu slati na broj telefona ${phone}.`,
    phoneRemoved: 'Broj telefona za vaše kodove za prijavu je uklonjen.',
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
      ...(notice.change === 'password'
        ? [{ paragraph: s.passwordChanged }]
        : [
            ...(notice.phone === 'removed' ? [{ paragraph: s.phoneRemoved }] : notice.phone ? [{ paragraph: s.phoneSet(notice.phone.set) }] : []),
            { paragraph: s.codesGoTo(s.channels[notice.channel], notice.destination) },
          ]),
      { note: s.notYou },
    ],
  });
}
