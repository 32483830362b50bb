export const SUPPORTED_LOCALES = ['en', 'de', 'es', 'fr', 'hr'] as const;
export type Locale = (typeof SUPPORTED_LOCALES)[number];

/**
 * The closest supported language for a BCP 47 tag: `de-AT` → `de`, `hr_HR` → `hr`,
 * anything unsupported or malformed → `en`.
 */
export function closestLocale(tag: string | null | undefined): Locale {
  if (!tag) return 'en';
  const language = tag.trim().toLowerCase().split(/[-_]/)[0];
  return (SUPPORTED_LOCALES as readonly string[]).includes(language) ? (language as Locale) : 'en';
}
