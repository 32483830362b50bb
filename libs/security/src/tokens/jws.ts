import { createHash, sign as cryptoSign, verify as cryptoVerify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { InvalidAccessTokenError } from '../errors';

/**
 * Compact JWS with EdDSA (Ed25519), written on node:crypto: `jsonwebtoken`, which
 * passport-jwt uses, has no EdDSA. Only what latchkey's access tokens need, checked strictly:
 * the algorithm must be exactly EdDSA (never taken from the token to pick a verifier), a key
 * id is required, and every part must be canonical base64url.
 */

export const JWS_ALGORITHM = 'EdDSA';
/**
 * Tolerated clock difference between the process that signed and the one that verifies, for a
 * token that seems to come from the future (`iat`, `nbf`): refusing a fresh token because another
 * instance's clock runs a little ahead would log people out for nothing. Expiry has none:
 * API.md says an expired token is 401, and a few seconds of skew only shorten or lengthen a
 * token's life by that much.
 */
export const CLOCK_LEEWAY_SECONDS = 30;
/** Far above any token latchkey signs; refuses to parse megabytes of attacker input. */
const MAX_TOKEN_LENGTH = 8192;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export interface JwsHeader {
  alg: string;
  typ?: string;
  kid?: string;
  [field: string]: unknown;
}

export interface AccessTokenClaims {
  /** User id. */
  sub: string;
  /** Account id. */
  acc: string;
  roles: string[];
  /** Session id. */
  sid: string;
  [claim: string]: unknown;
}

export interface VerifiedClaims extends AccessTokenClaims {
  iss: string;
  iat: number;
  exp: number;
  nbf?: number;
}

/** The public half of a signing key as published at /.well-known/jwks.json. */
export interface PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

const encodePart = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

export function signJws(header: { kid: string; [field: string]: unknown }, payload: Record<string, unknown>, privateKey: KeyObject): string {
  const signingInput = `${encodePart({ ...header, alg: JWS_ALGORITHM, typ: 'JWT' })}.${encodePart(payload)}`;
  const signature = cryptoSign(null, Buffer.from(signingInput, 'ascii'), privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** Header and payload of a compact JWS, parsed but NOT verified. */
export function decodeJws(token: unknown): { header: JwsHeader; payload: Record<string, unknown>; signingInput: string; signature: Buffer } {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw new InvalidAccessTokenError('malformed');
  const parts = token.split('.');
  // An empty signature is let through here so that `alg: none` is reported as the algorithm it is.
  if (parts.length !== 3 || parts[0] === '' || parts[1] === '' || !parts.every(isCanonicalBase64url)) {
    throw new InvalidAccessTokenError('malformed');
  }
  const header = parseJsonObject(parts[0]);
  const payload = parseJsonObject(parts[1]);
  return { header: header as JwsHeader, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
}

export interface VerifyOptions {
  /** The public key for a key id, or undefined when the id is unknown. */
  keyFor: (kid: string) => KeyObject | undefined;
  issuer: string;
  now: Date;
  leewaySeconds?: number;
}

/** Verifies an access token completely; throws `InvalidAccessTokenError` with the first reason found. */
export function verifyAccessToken(token: unknown, options: VerifyOptions): VerifiedClaims {
  const { header, payload, signingInput, signature } = decodeJws(token);
  if (header.alg !== JWS_ALGORITHM) throw new InvalidAccessTokenError('unsupported_algorithm');
  if (header.typ !== undefined && header.typ !== 'JWT') throw new InvalidAccessTokenError('malformed');
  // RFC 7515 4.1.11: extensions we do not understand must not be ignored.
  if (header.crit !== undefined) throw new InvalidAccessTokenError('malformed');
  if (typeof header.kid !== 'string' || header.kid === '') throw new InvalidAccessTokenError('unknown_key');
  const key = options.keyFor(header.kid);
  if (!key) throw new InvalidAccessTokenError('unknown_key');
  if (signature.length !== 64 || !cryptoVerify(null, Buffer.from(signingInput, 'ascii'), key, signature)) {
    throw new InvalidAccessTokenError('bad_signature');
  }
  const now = options.now.getTime() / 1000;
  const leeway = options.leewaySeconds ?? CLOCK_LEEWAY_SECONDS;
  const { exp, nbf, iat, iss } = payload;
  if (typeof exp !== 'number' || typeof iat !== 'number') throw new InvalidAccessTokenError('missing_claims');
  if (now >= exp) throw new InvalidAccessTokenError('expired');
  if (nbf !== undefined && (typeof nbf !== 'number' || now + leeway < nbf)) throw new InvalidAccessTokenError('not_yet_valid');
  if (now + leeway < iat) throw new InvalidAccessTokenError('not_yet_valid');
  if (iss !== options.issuer) throw new InvalidAccessTokenError('wrong_issuer');
  const { sub, acc, sid, roles } = payload;
  if (typeof sub !== 'string' || typeof acc !== 'string' || typeof sid !== 'string' || !Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) {
    throw new InvalidAccessTokenError('missing_claims');
  }
  return payload as VerifiedClaims;
}

/** RFC 7638 thumbprint: a key id that is a function of the key, so two keys never share one. */
export function jwkThumbprint(jwk: Pick<JsonWebKey, 'crv' | 'kty' | 'x'>): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}

function isCanonicalBase64url(part: string): boolean {
  return BASE64URL.test(part) && Buffer.from(part, 'base64url').toString('base64url') === part;
}

function parseJsonObject(part: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidAccessTokenError('malformed');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidAccessTokenError('malformed');
  return value as Record<string, unknown>;
}
