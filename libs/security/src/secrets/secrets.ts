import { Injectable } from '@nestjs/common';
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** Below 128 bits a token could be guessed online; refuse to make one by mistake. */
const MIN_TOKEN_BYTES = 16;

/** A bearer token from the CSPRNG, base64url; 32 bytes (256 bits) for devices, refresh and reset tokens. */
export function randomToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < MIN_TOKEN_BYTES) throw new RangeError(`a token needs at least ${MIN_TOKEN_BYTES} random bytes`);
  return randomBytes(bytes).toString('base64url');
}

/**
 * Hex SHA-256, for storing high-entropy tokens so that a database leak does not hand them out.
 * Only for random tokens: a password or a 6-digit code needs a slow hash or a keyed MAC instead.
 */
export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A 6-digit one-time code, uniform over 000000–999999 (leading zeros kept). */
export function generateOtp(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}

/**
 * Compares two strings in time that depends on neither their content nor their lengths:
 * both are hashed first, so inputs of different lengths compare without throwing or leaking
 * where they differ.
 */
export function timingSafeEqualText(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

/** The same helpers as an injectable, for code that prefers constructor injection. */
@Injectable()
export class Secrets {
  randomToken(bytes = 32): string {
    return randomToken(bytes);
  }

  sha256(text: string): string {
    return sha256(text);
  }

  generateOtp(): string {
    return generateOtp();
  }

  timingSafeEqualText(a: string, b: string): boolean {
    return timingSafeEqualText(a, b);
  }
}
