import { DomainError } from '@latchkey/event-store';

/**
 * Every password hashing slot of this process is taken. The caller gets an answer at once
 * (503 with Retry-After) instead of a queue that would grow under a credential-stuffing wave.
 */
export class HashingBusyError extends DomainError {
  readonly code = 'hashing_busy';
  override readonly details: { retryAfterSeconds: number } = { retryAfterSeconds: 1 };

  constructor() {
    super('too many password hashes in progress; try again shortly');
    this.name = 'HashingBusyError';
  }
}

/** Stable reasons a password is refused; clients translate them, so they never change meaning. */
export type WeakPasswordReason = 'too_short' | 'too_long' | 'common' | 'predictable' | 'same_as_email' | 'same_as_username';

export class WeakPasswordError extends DomainError {
  readonly code = 'weak_password';
  override readonly details: { reasons: WeakPasswordReason[] };

  constructor(reasons: WeakPasswordReason[]) {
    // The password itself never goes into the message or the details.
    super(`password refused: ${reasons.join(', ')}`);
    this.name = 'WeakPasswordError';
    this.details = { reasons };
  }
}

/** Why a token was refused: for logs and tests only, never shown to the caller. */
export type InvalidAccessTokenReason =
  | 'malformed'
  | 'unsupported_algorithm'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'missing_claims'
  /** The session ended (or its user changed) after the token's guard let the request through. */
  | 'session_ended';

/**
 * A missing, malformed, forged or expired access token. Every reason answers the same 401;
 * the reason stays on the error object (not in `details`) so problem bodies do not vary,
 * and the token is never echoed.
 */
export class InvalidAccessTokenError extends DomainError {
  readonly code = 'invalid_access_token';

  constructor(readonly reason: InvalidAccessTokenReason) {
    super(`access token refused (${reason})`);
    this.name = 'InvalidAccessTokenError';
  }
}

export type SecretBoxFailure = 'malformed' | 'unknown_key' | 'tampered';

/**
 * A sealed secret that cannot be opened: not a box, sealed under a key id this keyring does
 * not hold, or altered (wrong key, wrong associated data, changed bytes). An operator problem,
 * not a caller's, so it is a plain error (a 500). The message names the key id at most:
 * never the plaintext, the ciphertext or key material.
 */
export class SecretBoxError extends Error {
  constructor(
    readonly reason: SecretBoxFailure,
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}
