export const ROLES = ['account_admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

export const CHANNELS = ['sms', 'voice', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * The channels a code can go out on, the preferred one first. SMS and voice need a phone;
 * without one, email. A user whose codes go to their phone is not offered email: the reset
 * link goes to the same mailbox, so whoever reads it could reset the password and then ask
 * for the code there too — the phone would protect nothing (a security probe did exactly
 * that). Email comes in for them only as the last resort, when a provider could deliver on
 * neither phone channel (see `Login`), or when the operator's country list rules the number out.
 */
export function availableChannels(preferred: Channel, phone: string | null): Channel[] {
  if (!phone) return ['email'];
  if (preferred === 'email') return ['email', 'sms', 'voice'];
  return preferred === 'voice' ? ['voice', 'sms'] : ['sms', 'voice'];
}
