import type { Locale } from '@latchkey/identity';

type Forms = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };

/**
 * Unit words in the case the sentences need ("expires in 5 minutes"): Croatian takes the
 * accusative after "za" and three plural forms (1 minutu, 2 minute, 5 minuta).
 */
const UNITS: Record<Locale, { minute: Forms; hour: Forms }> = {
  en: { minute: { one: 'minute', other: 'minutes' }, hour: { one: 'hour', other: 'hours' } },
  de: { minute: { one: 'Minute', other: 'Minuten' }, hour: { one: 'Stunde', other: 'Stunden' } },
  es: { minute: { one: 'minuto', other: 'minutos' }, hour: { one: 'hora', other: 'horas' } },
  fr: { minute: { one: 'minute', other: 'minutes' }, hour: { one: 'heure', other: 'heures' } },
  hr: { minute: { one: 'minutu', few: 'minute', other: 'minuta' }, hour: { one: 'sat', few: 'sata', other: 'sati' } },
};

/**
 * A validity period as people say it: whole hours in hours ("1 hour", "72 hours"), anything
 * else in minutes ("5 minutes", "90 minutes"), never less than one minute.
 */
export function formatDuration(seconds: number, locale: Locale): string {
  const minutes = Math.max(1, Math.round(seconds / 60));
  const [count, forms] = minutes >= 60 && minutes % 60 === 0 ? [minutes / 60, UNITS[locale].hour] : [minutes, UNITS[locale].minute];
  const form = forms[new Intl.PluralRules(locale).select(count)] ?? forms.other;
  return `${count} ${form}`;
}
