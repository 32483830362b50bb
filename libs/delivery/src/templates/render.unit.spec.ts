import { SUPPORTED_LOCALES } from '@latchkey/identity';
import { TEMPLATE_KINDS, render, type TemplateKind, type TemplateParams } from './render';

const SAMPLE: TemplateParams = {
  'otp-sms': { code: '402913' },
  'otp-voice': { code: '402913' },
  'otp-email': { code: '402913', expiresInSeconds: 300 },
  'password-reset-email': { link: 'https://app.example.com/reset-password?token=tok_reset_1', expiresInSeconds: 3600 },
  'invitation-email': { link: 'https://app.example.com/set-password?token=tok_invite_1', expiresInSeconds: 72 * 3600, accountName: 'Acme' },
  'security-notice-email': { change: 'codes', phone: { set: '+385*****67' }, channel: 'voice', destination: '+385*****67' },
};

/** GSM 03.38: the default alphabet (one septet each) and its extension table (two each). */
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENDED = new Set('^{}\\[~]|€\f');

/** Septets in GSM-7, or undefined when the text needs UCS-2. */
function gsm7Length(text: string): number | undefined {
  let septets = 0;
  for (const ch of text) {
    if (GSM_BASIC.has(ch)) septets += 1;
    else if (GSM_EXTENDED.has(ch)) septets += 2;
    else return undefined;
  }
  return septets;
}

function everyMessage(): { kind: TemplateKind; locale: string; output: Record<string, string> }[] {
  return TEMPLATE_KINDS.flatMap((kind) =>
    SUPPORTED_LOCALES.map((locale) => ({ kind, locale, output: render(kind, locale, SAMPLE[kind] as never) as unknown as Record<string, string> })),
  );
}

describe('message templates', () => {
  it('render every message in every supported language, with nothing left unfilled', () => {
    for (const { kind, locale, output } of everyMessage()) {
      for (const [part, value] of Object.entries(output)) {
        expect({ kind, locale, part, empty: value.trim() === '' }).toEqual({ kind, locale, part, empty: false });
        expect(value).not.toMatch(/undefined|null|NaN|\$\{|\{\w+\}/);
      }
    }
  });

  it('are actually translated: no two languages share an email subject or an SMS text', () => {
    for (const kind of ['otp-email', 'password-reset-email', 'invitation-email', 'security-notice-email'] as const) {
      const subjects = SUPPORTED_LOCALES.map((l) => render(kind, l, SAMPLE[kind] as never).subject);
      expect(new Set(subjects).size).toBe(SUPPORTED_LOCALES.length);
    }
    const sms = SUPPORTED_LOCALES.map((l) => render('otp-sms', l, SAMPLE['otp-sms']).text);
    expect(new Set(sms).size).toBe(SUPPORTED_LOCALES.length);
  });

  it('fall back to the closest language, then English', () => {
    expect(render('otp-email', 'de-AT', SAMPLE['otp-email']).subject).toBe(render('otp-email', 'de', SAMPLE['otp-email']).subject);
    expect(render('otp-email', 'pt-BR', SAMPLE['otp-email']).subject).toBe('Your verification code');
    expect(render('otp-email', undefined, SAMPLE['otp-email']).subject).toBe('Your verification code');
  });

  it('fit an OTP SMS in one segment: GSM-7 within 160 characters where the language allows, else 70', () => {
    for (const locale of SUPPORTED_LOCALES) {
      const { text } = render('otp-sms', locale, { code: '402913' });
      expect(text).toContain('402913');
      const septets = gsm7Length(text);
      if (locale === 'es' || locale === 'hr') {
        // ó, š and ô are not in GSM-7: the message goes as UCS-2, 70 characters a segment.
        expect({ locale, length: [...text].length <= 70 }).toEqual({ locale, length: true });
      } else {
        expect({ locale, septets: septets !== undefined && septets <= 160 }).toEqual({ locale, septets: true });
      }
    }
  });

  it('speak the code digit by digit, twice, so a listener can write it down', () => {
    for (const locale of SUPPORTED_LOCALES) {
      const { text } = render('otp-voice', locale, { code: '402913' });
      expect(text.split('4, 0, 2, 9, 1, 3')).toHaveLength(3);
      expect(text).not.toContain('402913');
    }
  });

  it('put the code, the expiry and a safety sentence in both bodies of the OTP email', () => {
    const en = render('otp-email', 'en', { code: '402913', expiresInSeconds: 300 });
    for (const body of [en.text, en.html]) {
      expect(body).toContain('402913');
      expect(body).toContain('It expires in 5 minutes.');
      expect(body).toContain('If you did not try to log in, change your password.');
    }
    expect(en.html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
  });

  it('give the reset and invitation links, their expiry and a safety sentence in text and HTML', () => {
    const reset = render('password-reset-email', 'en', SAMPLE['password-reset-email']);
    expect(reset.text).toContain('Choose a new password:\nhttps://app.example.com/reset-password?token=tok_reset_1');
    expect(reset.html).toContain('href="https://app.example.com/reset-password?token=tok_reset_1"');
    for (const body of [reset.text, reset.html]) {
      expect(body).toContain('expires in 1 hour');
      expect(body).toContain('If you did not ask for this, ignore this email');
    }
    // The account the link is for: an email can be a user's in several accounts.
    const named = render('password-reset-email', 'en', { ...SAMPLE['password-reset-email'], accountName: 'Acme <Ops>' });
    expect(named.text).toContain('This link is for your user in the account “Acme <Ops>”.');
    expect(named.html).toContain('This link is for your user in the account “Acme &lt;Ops&gt;”.');
    expect(reset.text).not.toContain('This link is for');
    const invite = render('invitation-email', 'de', SAMPLE['invitation-email']);
    expect(invite.subject).toBe('Einladung zu Acme');
    expect(invite.text).toContain('Ein Administrator von Acme hat ein Konto für Sie angelegt.');
    expect(invite.text).toContain('https://app.example.com/set-password?token=tok_invite_1');
    expect(invite.html).toContain('href="https://app.example.com/set-password?token=tok_invite_1"');
    expect(invite.text).toContain('läuft in 72 Stunden ab');
    expect(render('invitation-email', 'en', { ...SAMPLE['invitation-email'], accountName: undefined }).subject).toBe('You are invited to latchkey');
  });

  it('escape every parameter in HTML, in text and in attributes', () => {
    const hostile = '<img src=x onerror="alert(1)"> & Co\'s';
    const invite = render('invitation-email', 'en', { link: 'https://app.example.com/set-password?token=a&b="c"<d>', expiresInSeconds: 3600, accountName: hostile });
    expect(invite.html).not.toContain('<img');
    expect(invite.html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Co&#39;s');
    expect(invite.html).toContain('href="https://app.example.com/set-password?token=a&amp;b=&quot;c&quot;&lt;d&gt;"');
    expect(invite.html).not.toContain('b="c"');
    // The plain-text body is not HTML: it shows the name as given.
    expect(invite.text).toContain(hostile);
    const otp = render('otp-email', 'en', { code: '<b>1</b>', expiresInSeconds: 300 });
    expect(otp.html).toContain('&lt;b&gt;1&lt;/b&gt;');
  });

  it('keep a name with line breaks on one line', () => {
    const invite = render('invitation-email', 'en', { ...SAMPLE['invitation-email'], accountName: 'Acme\r\nBcc: x@example.com' });
    expect(invite.subject).toBe('You are invited to Acme Bcc: x@example.com');
  });

  it('refuse a link that is not http(s), without repeating its token', () => {
    expect(() => render('password-reset-email', 'en', { link: 'javascript:alert(1)//tok_secret', expiresInSeconds: 3600 })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('tok_secret') }),
    );
    expect(() => render('password-reset-email', 'en', { link: '/reset-password?token=tok_secret', expiresInSeconds: 3600 })).toThrow(/http\(s\)/);
  });

  it('say durations the way each language does', () => {
    const expiry = (locale: string, seconds: number) => render('password-reset-email', locale, { link: 'https://a.example/x', expiresInSeconds: seconds }).text;
    expect(expiry('en', 60)).toContain('expires in 1 minute.');
    expect(expiry('en', 5400)).toContain('expires in 90 minutes.');
    expect(expiry('de', 3600)).toContain('läuft in 1 Stunde ab.');
    expect(expiry('es', 7200)).toContain('caduca en 2 horas.');
    expect(expiry('fr', 3600)).toContain('expire dans 1 heure.');
    expect(expiry('hr', 3600)).toContain('istječe za 1 sat.');
    expect(expiry('hr', 7200)).toContain('istječe za 2 sata.');
    expect(expiry('hr', 5 * 3600)).toContain('istječe za 5 sati.');
    expect(expiry('hr', 21 * 60)).toContain('istječe za 21 minutu.');
    expect(expiry('hr', 3 * 60)).toContain('istječe za 3 minute.');
    expect(expiry('hr', 15 * 60)).toContain('istječe za 15 minuta.');
  });

  it('never promise more time than there is: a short period that is not whole minutes is said in seconds', () => {
    const otp = (locale: string, seconds: number) => render('otp-email', locale, { code: '402913', expiresInSeconds: seconds }).text;
    expect(otp('en', 90)).toContain('It expires in 90 seconds.');
    expect(otp('en', 30)).toContain('It expires in 30 seconds.');
    expect(otp('en', 1)).toContain('It expires in 1 second.');
    expect(otp('en', 300)).toContain('It expires in 5 minutes.');
    // Long and not whole minutes: the whole minutes it lasts at least.
    expect(otp('en', 20 * 60 + 50)).toContain('It expires in 20 minutes.');
    expect(otp('hr', 90)).toContain('90 sekundi');
    expect(otp('hr', 22)).toContain('22 sekunde');
    expect(otp('de', 45)).toContain('45 Sekunden');
  });

});
