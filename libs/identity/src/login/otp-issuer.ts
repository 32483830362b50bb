import { Injectable } from '@nestjs/common';
import { AppConfig } from '@latchkey/config';
import { Clock } from '@latchkey/event-store';
import { RateLimiter, SecretBox, generateOtp } from '@latchkey/security';
import { maskEmail, maskPhone } from '../shared/contact';
import { OtpSendLimitError } from '../shared/errors';
import type { UserRow } from '../shared/read-models';
import { availableChannels, type Channel } from '../shared/roles';
import type { IssuedCode } from './login.aggregate';

/** What the delivery worker finds when it opens a challenge's sealed box. */
export interface SealedCode {
  code: string;
  channel: Channel;
  destination: string;
  locale: string;
}

export const OTP_HMAC_PURPOSE = 'otp';

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

  /** Counts the send against the user's hourly allowance first; past it, no code is made. */
  async issue(loginId: string, user: UserRow, channel: Channel): Promise<IssuedCode> {
    const allowance = await this.limiter.hit(`otp-sends:user:${user.id}`, this.config.throttle.maxOtpSendsPerUserPerHour, 3600);
    if (!allowance.allowed) throw new OtpSendLimitError({ retryAfterSeconds: allowance.retryAfterSeconds });
    const code = generateOtp();
    const destination = channel === 'email' || !user.phone ? user.email : user.phone;
    const deliveredOn: Channel = channel !== 'email' && !user.phone ? 'email' : channel;
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
