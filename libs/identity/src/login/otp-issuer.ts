import { Injectable } from '@nestjs/common';
import { AppConfig } from '@latchkey/config';
import { Clock } from '@latchkey/event-store';
import { RateLimiter, SecretBox, generateOtp } from '@latchkey/security';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { maskEmail, maskPhone } from '../shared/contact';
import { OtpSendLimitError } from '../shared/errors';
import type { UserRow } from '../shared/read-models';
import { availableChannels, type Channel } from '../shared/roles';
import type { Issued, IssuedCode } from './issued-code';

/** What the delivery worker finds when it opens a challenge's sealed box. */
export interface SealedCode {
  code: string;
  channel: Channel;
  destination: string;
  locale: string;
}

export const OTP_HMAC_PURPOSE = 'otp';

export type { Issued } from './issued-code';

/** The data a code's HMAC covers: the challenge and the code, so a code is worthless elsewhere. */
export function otpMacInput(loginId: string, code: string): string {
  return `${loginId}:${code}`;
}

/** Makes one-time codes: 6 digits from the CSPRNG, stored as an HMAC, sealed for the worker. */
@Injectable()
export class OtpIssuer {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly box: SecretBox,
    private readonly limiter: RateLimiter,
  ) {}

  channelsFor(user: UserRow): Channel[] {
    return availableChannels(user.twoFactorChannel, user.phone);
  }

  /**
   * A new code on `requested` (or the first channel still open). Counts against the user's
   * hourly allowance first (past it: no code, 429). SMS and voice also pass the SMS-pumping
   * defences. A number outside the operator's allowed countries closes the phone channels
   * (`blocked`, for DeliveryBlocked events) and the code goes by email. A number past its daily
   * cap does the same only where email was already one of the challenge's channels; otherwise
   * no code is made (`OtpSendLimitError` until the cap's window moves on): anyone can sign up accounts with a
   * stranger's number and use up its cap, and an email fallback would then hand that
   * stranger's code to whoever reads their mailbox.
   */
  async issue(loginId: string, user: UserRow, requested: Channel, available: Channel[], options: { replacesUndelivered?: boolean } = {}): Promise<Issued> {
    // A code replacing one a provider could not deliver is not counted: the user never got the
    // first, and counting it left a user at the cap with no code at all for an hour (a probe
    // found it). The fallback chain is short (SMS → voice → email), so this adds at most two
    // codes to each counted one; the per-number daily cap below still counts phone sends.
    // A place in the allowance is taken first and given back when the number's cap refuses the
    // code: that refusal must not spend the user's codes too (a review found it did).
    const allowance = options.replacesUndelivered ? undefined : await this.limiter.reserve(`otp-sends:user:${user.id}`, this.config.throttle.maxOtpSendsPerUserPerHour, 3600);
    if (allowance && !allowance.allowed) throw new OtpSendLimitError({ retryAfterSeconds: allowance.retryAfterSeconds });
    const blocked: Issued['blocked'] = [];
    let channels = available.filter((c) => c === 'email' || user.phone);
    // Never empty in practice: a first code offers at least one channel, and `Login` keeps email
    // open as the last resort until email itself fails (then no code is asked for).
    if (channels.length === 0) channels = ['email'];
    let channel: Channel = channels.includes(requested) ? requested : channels[0];
    if (channel !== 'email') {
      const block = await this.phoneBlock(user.phone!);
      if (block?.reason === 'number_daily_cap' && !channels.includes('email')) {
        await allowance?.release();
        throw new OtpSendLimitError({ retryAfterSeconds: block.retryAfterSeconds });
      }
      if (block) {
        for (const c of channels.filter((c) => c !== 'email')) blocked.push({ channel: c, reason: block.reason });
        channels = ['email'];
        channel = 'email';
      }
    }
    return { code: this.make(loginId, user, channel), channels, blocked };
  }

  /** Why codes may not go to this number now, if they may not (and counts the send if they may). */
  private async phoneBlock(phone: string): Promise<{ reason: 'country_not_allowed' | 'number_daily_cap'; retryAfterSeconds?: number } | undefined> {
    const allowed = this.config.delivery.allowedCountries;
    const country = parsePhoneNumberFromString(phone)?.country;
    if (allowed && (!country || !allowed.includes(country))) return { reason: 'country_not_allowed' };
    const cap = await this.limiter.hit(`otp-sends:number:${this.box.hmac('rate-limit', phone)}`, this.config.delivery.maxSendsPerNumberPerDay, 86_400);
    return cap.allowed ? undefined : { reason: 'number_daily_cap', retryAfterSeconds: cap.retryAfterSeconds };
  }

  private make(loginId: string, user: UserRow, deliveredOn: Channel): IssuedCode {
    const code = generateOtp();
    const destination = deliveredOn === 'email' ? user.email : user.phone!;
    const now = this.clock.now().getTime();
    const sealed: SealedCode = { code, channel: deliveredOn, destination, locale: user.locale };
    return {
      channel: deliveredOn,
      destination: deliveredOn === 'email' ? maskEmail(destination) : maskPhone(destination),
      codeHash: this.box.hmac(OTP_HMAC_PURPOSE, otpMacInput(loginId, code)),
      sealed: this.box.encrypt(JSON.stringify(sealed), loginId),
      expiresAt: new Date(now + this.config.otp.ttlSeconds * 1000).toISOString(),
      resendAvailableAt: new Date(now + this.config.otp.resendCooldownSeconds * 1000).toISOString(),
    };
  }

  matcher(loginId: string, code: string): (codeHash: string) => boolean {
    return (codeHash) => /^\d{6}$/.test(code) && this.box.verifyHmac(OTP_HMAC_PURPOSE, otpMacInput(loginId, code), codeHash);
  }
}
