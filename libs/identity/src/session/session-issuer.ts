import { Injectable } from '@nestjs/common';
import { AppConfig } from '@latchkey/config';
import { Clock, IdGenerator } from '@latchkey/event-store';
import { AccessTokens, randomToken, sha256 } from '@latchkey/security';
import type { LoginMethod } from '../login/login.aggregate';
import type { LoginResult, UserView } from '../login/login-result';
import type { UserRow } from '../shared/read-models';
import { Session } from './session.aggregate';

export function userView(user: UserRow): UserView {
  return {
    id: user.id,
    accountId: user.accountId,
    email: user.email,
    username: user.username,
    locale: user.locale,
    roles: user.roles,
    webAccess: user.webAccess,
  };
}

/** Starts sessions and mints their tokens: a short-lived signed access token and an opaque refresh token. */
@Injectable()
export class SessionIssuer {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly accessTokens: AccessTokens,
  ) {}

  /**
   * A new session aggregate (to be saved with the login's events, or with the change that
   * continues an ended session in it) and the `authenticated` result.
   * `userVersion`: the user's version the login's proof was checked against, when that was an
   * earlier read than `user` (a code verified after the password); by default `user.version`.
   */
  start(input: {
    user: UserRow;
    loginId?: string;
    replaces?: string;
    authenticatedAt?: Date;
    deviceId: string | null;
    method: LoginMethod;
    deviceToken?: string;
    userVersion?: number;
  }): {
    session: Session;
    result: Extract<LoginResult, { status: 'authenticated' }>;
  } {
    const session = new Session(this.ids.next());
    const refreshToken = randomToken();
    session.start({
      userId: input.user.id,
      accountId: input.user.accountId,
      ...(input.loginId ? { loginId: input.loginId } : {}),
      ...(input.replaces ? { replaces: input.replaces } : {}),
      ...(input.authenticatedAt ? { authenticatedAt: input.authenticatedAt.toISOString() } : {}),
      deviceId: input.deviceId,
      method: input.method,
      refreshTokenHash: sha256(refreshToken),
      expiresAt: this.refreshExpiry().toISOString(),
      userVersion: input.userVersion ?? input.user.version,
    });
    return { session, result: this.authenticated(input.user, session.id, refreshToken, input.deviceToken) };
  }

  refreshExpiry(): Date {
    return new Date(this.clock.now().getTime() + this.config.tokens.refreshTtlSeconds * 1000);
  }

  authenticated(user: UserRow, sessionId: string, refreshToken: string, deviceToken?: string): Extract<LoginResult, { status: 'authenticated' }> {
    const ttl = this.config.tokens.accessTtlSeconds;
    const accessToken = this.accessTokens.sign({ sub: user.id, acc: user.accountId, roles: user.roles, sid: sessionId }, ttl);
    return {
      status: 'authenticated',
      accessToken,
      tokenType: 'Bearer',
      expiresIn: ttl,
      refreshToken,
      ...(deviceToken ? { deviceToken } : {}),
      user: userView(user),
    };
  }
}
