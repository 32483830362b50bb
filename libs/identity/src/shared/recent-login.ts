import { Injectable } from '@nestjs/common';
import { Clock } from '@latchkey/event-store';
import { ReauthenticationRequiredError } from './errors';
import { IdentityReadModels } from './read-models';

/**
 * How long after a login its session may change where the user's own codes go (phone, channel).
 * Past it, the user logs in again or enters their password again in the session (`POST
 * /auth/me/reauthenticate`) first: whoever holds a session's tokens (a stolen refresh token, an
 * unlocked laptop) could otherwise move the second factor to a phone of their own.
 */
export const RECENT_LOGIN_SECONDS = 15 * 60;

@Injectable()
export class RecentLogin {
  constructor(
    private readonly read: IdentityReadModels,
    private readonly clock: Clock,
  ) {}

  /** Throws `ReauthenticationRequiredError` unless the session's login or reauthentication was at most `RECENT_LOGIN_SECONDS` ago. */
  async require(sessionId: string): Promise<void> {
    const at = await this.read.sessionAuthenticatedAt(sessionId);
    if (!at || this.clock.now().getTime() - at.getTime() > RECENT_LOGIN_SECONDS * 1000) throw new ReauthenticationRequiredError();
  }
}
