import { Injectable } from '@nestjs/common';
import { AppConfig } from '@latchkey/config';
import { Clock } from '@latchkey/event-store';
import { InvalidAccessTokenError } from '../errors';
import { decodeJws, signJws, verifyAccessToken, type AccessTokenClaims, type PublicJwk, type VerifiedClaims } from './jws';
import { SigningKeys } from './signing-keys.service';

/** Claims the signer sets itself; a caller's value for them is ignored. */
const REGISTERED = ['iss', 'iat', 'exp', 'nbf'] as const;

/**
 * Access tokens: JWTs signed with EdDSA (Ed25519) by the active signing key, `kid` in the
 * header, `iss` = PUBLIC_API_URL, `iat` and `exp` from the injected Clock. Verification
 * accepts exactly EdDSA and our own keys, and allows 30 s of clock difference.
 */
@Injectable()
export class AccessTokens {
  constructor(
    private readonly config: AppConfig,
    private readonly keys: SigningKeys,
    private readonly clock: Clock,
  ) {}

  /**
   * Signs `claims` for `ttlSeconds` (default ACCESS_TOKEN_TTL_SECONDS). Longer than that is
   * refused: retired keys are published only for that long, so a longer token would outlive
   * the key that verifies it.
   */
  sign(claims: AccessTokenClaims, ttlSeconds = this.config.tokens.accessTtlSeconds): string {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > this.config.tokens.accessTtlSeconds) {
      throw new RangeError(`an access token lives 1 to ${this.config.tokens.accessTtlSeconds} seconds (ACCESS_TOKEN_TTL_SECONDS)`);
    }
    const payload: Record<string, unknown> = { ...claims };
    for (const claim of REGISTERED) delete payload[claim];
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const { kid, privateKey } = this.keys.signingKey();
    return signJws({ kid }, { ...payload, iss: this.config.publicApiUrl, iat, exp: iat + ttlSeconds }, privateKey);
  }

  /** The claims of a valid token; anything else throws `InvalidAccessTokenError` (never echoing the token). */
  async verify(token: string): Promise<VerifiedClaims> {
    try {
      return this.verifyNow(token);
    } catch (error) {
      if (!(error instanceof InvalidAccessTokenError) || error.reason !== 'unknown_key') throw error;
      // Maybe another process rotated: look at the table again (rate-limited) and retry once.
      if (!(await this.keys.reloadForUnknownKid(decodeJws(token).header.kid))) throw error;
      return this.verifyNow(token);
    }
  }

  /** The JWKS document for `GET /.well-known/jwks.json`. */
  jwks(): { keys: PublicJwk[] } {
    return this.keys.jwks();
  }

  /** See `SigningKeys.rotate`. */
  rotate(): Promise<{ kid: string; retiredKid: string | undefined }> {
    return this.keys.rotate();
  }

  private verifyNow(token: string): VerifiedClaims {
    return verifyAccessToken(token, { keyFor: (kid) => this.keys.publicKey(kid), issuer: this.config.publicApiUrl, now: this.clock.now() });
  }
}

/** The callback passport-jwt hands its verifier. */
export type JwtVerifierCallback = (error: Error | null, payload?: VerifiedClaims) => void;

/**
 * A verifier with the signature of passport-jwt's `JwtStrategy.JwtVerifier`
 * `(token, secretOrKey, options, callback)`, delegating to `AccessTokens.verify`:
 * passport-jwt's own verifier is jsonwebtoken, which cannot verify EdDSA. The key and
 * options passport-jwt passes are ignored; keys, algorithm and issuer come from latchkey.
 */
export function passportJwtVerifier(tokens: AccessTokens): (token: string, secretOrKey: unknown, options: unknown, callback: JwtVerifierCallback) => void {
  return (token, _secretOrKey, _options, callback) => {
    tokens.verify(token).then(
      (claims) => callback(null, claims),
      (error: unknown) => callback(error instanceof Error ? error : new InvalidAccessTokenError('malformed')),
    );
  };
}
