export const ROLES = ['account_admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

export const CHANNELS = ['sms', 'voice', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * The channels a code can go out on, in fallback order (SMS → voice → email), the preferred
 * one first. SMS and voice need a phone; email always works.
 */
export function availableChannels(preferred: Channel, phone: string | null): Channel[] {
  const possible: Channel[] = phone ? ['sms', 'voice', 'email'] : ['email'];
  const first = possible.includes(preferred) ? preferred : 'email';
  return [first, ...possible.filter((c) => c !== first)];
}
