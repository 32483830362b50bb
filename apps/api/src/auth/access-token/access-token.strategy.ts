import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { MetadataContext } from '@latchkey/event-store';
import { IdentityReadModels } from '@latchkey/identity';
import { AccessTokens, passportJwtVerifier } from '@latchkey/security';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import type { Principal } from './principal';

export const ACCESS_TOKEN_STRATEGY = 'access-token';

interface AccessClaims {
  sub: string;
  acc: string;
  sid: string;
}

/**
 * Bearer access tokens through passport-jwt. passport-jwt verifies with jsonwebtoken, which
 * has no EdDSA; its documented hook `JwtStrategy.JwtVerifier` is pointed at our verifier.
 * After the signature, one read: the session named by `sid` must still be active and its user
 * enabled and with web access (logout, refresh-token reuse, disabling a user or taking their web
 * access away end access at once, not when the token expires), and the user's current roles are
 * what the request may do (a demoted admin loses the admin endpoints at once).
 */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(JwtStrategy, ACCESS_TOKEN_STRATEGY) {
  constructor(
    tokens: AccessTokens,
    private readonly read: IdentityReadModels,
    private readonly context: MetadataContext,
  ) {
    super({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: 'verified-by-AccessTokens' });
    // One global for the process; this is the only passport-jwt strategy there is.
    (JwtStrategy as unknown as { JwtVerifier: unknown }).JwtVerifier = passportJwtVerifier(tokens);
  }

  async validate(claims: AccessClaims): Promise<Principal | false> {
    if (!claims?.sid || !claims.sub || !claims.acc) return false;
    const access = await this.read.accessOf(claims.sid);
    if (!access || !access.active || access.userId !== claims.sub) return false;
    // The user's roles as they are now; the token's `roles` claim tells clients what they were at issue.
    const principal: Principal = { userId: claims.sub, accountId: claims.acc, roles: access.roles, sessionId: claims.sid };
    // Admin endpoints re-label the actor as admin; everywhere else the user acts for themself.
    this.context.setActor({ type: 'user', id: principal.userId });
    return principal;
  }
}
