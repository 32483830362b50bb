import type { Locale } from '@latchkey/identity';

type Forms = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };

/**
 * Unit words in the case the sentences need ("expires in 5 minutes"): Croatian takes the
 * accusative after "za" and three plural forms (1 minutu, 2 minute, 5 minuta).
 */
const UNITS: Record<Locale, { second: Forms; minute: Forms; hour: Forms }> = {
  en: { second: { one: 'second', other: 'seconds' }, minute: { one: 'minute', other: 'minutes' }, hour: { one: 'hour', other: 'hours' } },
  de: { second: { one: 'Sekunde', other: 'Sekunden' }, minute: { one: 'Minute', other: 'Minuten' }, hour: { one: 'Stunde', other: 'Stunden' } },
  es: { second: { one: 'segundo', other: 'segundos' }, minute: { one: 'minuto', other: 'minutos' }, hour: { one: 'hora', other: 'horas' } },
  fr: { second: { one: 'seconde', other: 'secondes' }, minute: { one: 'minute', other: 'minutes' }, hour: { one: 'heure', other: 'heures' } },
  hr: {
    second: { one: 'sekundu', few: 'sekunde', other: 'sekundi' },
    minute: { one: 'minutu', few: 'minute', other: 'minuta' },
    hour: { one: 'sat', few: 'sata', other: 'sati' },
  },
};

/** Below this, a period that is not whole minutes is said in seconds ("90 seconds"). */
const SECONDS_BELOW = 600;

/**
 * A validity period as people say it, never longer than it is: whole hours in hours ("1 hour",
 * "72 hours"), whole minutes in minutes ("5 minutes", "90 minutes"), a short period that is
 * neither in seconds ("90 seconds": rounding it to "2 minutes" would promise 30 s the code does
 * not have), a longer one in the whole minutes it lasts at least.
 */
export function formatDuration(seconds: number, locale: Locale): string {
  const whole = Math.max(1, Math.floor(seconds));
  const [count, forms] =
    whole % 3600 === 0
      ? [whole / 3600, UNITS[locale].hour]
      : whole % 60 === 0 || whole >= SECONDS_BELOW
        ? [Math.floor(whole / 60), UNITS[locale].minute]
        : [whole, UNITS[locale].second];
  const form = forms[new Intl.PluralRules(locale).select(count)] ?? forms.other;
  return `${count} ${form}`;
}
