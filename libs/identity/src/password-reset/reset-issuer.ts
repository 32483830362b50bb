import { Injectable } from '@nestjs/common';
import { AppConfig } from '@latchkey/config';
import { Clock, IdGenerator } from '@latchkey/event-store';
import { RateLimiter, SecretBox, randomToken, sha256 } from '@latchkey/security';
import { AdminResetLimitError } from '../shared/errors';
import type { Locale } from '../shared/locale';
import type { UserRow } from '../shared/read-models';
import { PasswordReset } from './password-reset.aggregate';
import type { RESET_INITIATORS } from './password-reset.events';

/**
 * Reset emails one user may receive per hour from forgot-password requests (anyone can make
 * those); past it the request is recorded as blocked and answered 202 like any other.
 */
export const RESET_EMAILS_PER_USER_PER_HOUR = 3;
/**
 * Resets an admin may send one user per hour, and all of an account's admins together per
 * hour. The admin's email is promised to go out, so past these the request is refused
 * (`AdminResetLimitError`, with when to try again) rather than accepted for nothing. Without them anyone could sign up an
 * account, create a user with any address and mail it without end, slowing every tenant's
 * emails on the shared queue (a security probe sent 400 in 12 s).
 */
export const ADMIN_RESETS_PER_USER_PER_HOUR = 5;
export const ADMIN_RESETS_PER_ACCOUNT_PER_HOUR = 100;
/**
 * Invitations (users created) per account per hour: creating users mails any address too, so it
 * has a bound of its own — loose, for an account onboarding its people in bulk; past it the
 * user is not created (`AdminResetLimitError`).
 */
export const INVITATIONS_PER_ACCOUNT_PER_HOUR = 500;
/** How long an invitation's set-password link works. */
export const INVITATION_TTL_SECONDS = 72 * 3600;

/**
 * The lock every change to a user's reset links takes: "a newer link replaces the older ones"
 * must mean the same order live and in a rebuild, so these changes never run side by side.
 */
export const resetsOfUser = (userId: string) => `resets-of-${userId}`;

/** What the email worker finds when it opens a reset's sealed box. */
export interface SealedResetLink {
  token: string;
  email: string;
  locale: string;
  kind: 'reset' | 'invitation';
}

/**
 * Issues reset and invitation links: 256 random bits, only the SHA-256 kept, the token sealed
 * for the email worker. A forgot-password request counts against the user's hourly allowance of
 * reset emails; past it the request is recorded as blocked and nothing is sent.
 */
@Injectable()
export class ResetIssuer {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly box: SecretBox,
    private readonly limiter: RateLimiter,
  ) {}

  /** `locale`: the language of the page the reset was asked on, for the email (the user's own by default). */
  async issue(user: UserRow, initiatedBy: (typeof RESET_INITIATORS)[number], adminId: string | null = null, locale?: Locale): Promise<PasswordReset> {
    const reset = new PasswordReset(this.ids.next());
    if (initiatedBy === 'self') {
      const allowance = await this.limiter.hit(`reset-emails:user:${user.id}`, RESET_EMAILS_PER_USER_PER_HOUR, 3600);
      if (!allowance.allowed) {
        reset.block(user.id);
        return reset;
      }
    }
    if (initiatedBy === 'admin' || initiatedBy === 'invitation') {
      // All or none: a refusal by the account's cap spends none of the user's.
      const allowance = await this.limiter.hitAll(
        initiatedBy === 'admin'
          ? [
              { key: `admin-resets:user:${user.id}`, limit: ADMIN_RESETS_PER_USER_PER_HOUR, windowSeconds: 3600 },
              { key: `admin-resets:account:${user.accountId}`, limit: ADMIN_RESETS_PER_ACCOUNT_PER_HOUR, windowSeconds: 3600 },
            ]
          : [{ key: `invitations:account:${user.accountId}`, limit: INVITATIONS_PER_ACCOUNT_PER_HOUR, windowSeconds: 3600 }],
      );
      if (!allowance.allowed) throw new AdminResetLimitError({ retryAfterSeconds: allowance.retryAfterSeconds });
    }
    const token = randomToken();
    const ttl = initiatedBy === 'invitation' ? INVITATION_TTL_SECONDS : this.config.resetTokenTtlSeconds;
    const sealed: SealedResetLink = { token, email: user.email, locale: locale ?? user.locale, kind: initiatedBy === 'invitation' ? 'invitation' : 'reset' };
    reset.request({
      userId: user.id,
      accountId: user.accountId,
      initiatedBy,
      adminId,
      tokenHash: sha256(token),
      sealed: this.box.encrypt(JSON.stringify(sealed), reset.id),
      expiresAt: new Date(this.clock.now().getTime() + ttl * 1000).toISOString(),
    });
    return reset;
  }
}
