export {
  HashingBusyError,
  InvalidAccessTokenError,
  SecretBoxError,
  WeakPasswordError,
  type InvalidAccessTokenReason,
  type SecretBoxFailure,
  type WeakPasswordReason,
} from './errors';
export { ARGON2_PARAMETERS, PasswordHasher } from './password/password-hasher.service';
export { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, PasswordPolicy, type PasswordOwner } from './password/password-policy.service';
export { RATE_LIMIT_KEY_PREFIX, RateLimiter, type RateLimitResult, type Reservation } from './rate-limit/rate-limiter.service';
export { DEVELOPMENT_KEY_SETTING, DEVELOPMENT_KEY_WARNING, DEVELOPMENT_KID, ENCRYPTION_KEYRING, loadKeyring } from './secrets/keyring';
export { SecretBox } from './secrets/secret-box.service';
export { Secrets, generateOtp, randomToken, sha256, timingSafeEqualText } from './secrets/secrets';
export { SecurityModule } from './security.module';
export { DEFAULT_SIGNING_KEYS_REFRESH_SECONDS, type SecurityOptions } from './security.options';
export { AccessTokens, passportJwtVerifier, type JwtVerifierCallback } from './tokens/access-tokens.service';
export {
  CLOCK_LEEWAY_SECONDS,
  JWS_ALGORITHM,
  decodeJws,
  jwkThumbprint,
  signJws,
  verifyAccessToken,
  type AccessTokenClaims,
  type PublicJwk,
  type VerifiedClaims,
} from './tokens/jws';
export { SigningKeys } from './tokens/signing-keys.service';
export { selfSignedCertificate, type KeyAndCertificate } from './certificates/self-signed';
