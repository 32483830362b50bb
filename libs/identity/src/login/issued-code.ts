import type { Channel } from '../shared/roles';
import type { OtpResent } from './login.events';

/** A code ready to go into a challenge event (hash, sealed copy, masked destination, times). */
export type IssuedCode = Omit<OtpResent['data'], 'loginId' | 'userId' | 'accountId'>;

export interface Issued {
  code: IssuedCode;
  /** The challenge's channels after any blocks (email only for users without a phone, who chose it, or whose number is ruled out). */
  channels: Channel[];
  blocked: { channel: Channel; reason: 'country_not_allowed' | 'number_daily_cap' }[];
}
