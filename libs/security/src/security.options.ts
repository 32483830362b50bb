/** Tuning of SecurityModule; the defaults are what production runs with. */
export interface SecurityOptions {
  /** How often each process re-reads the signing keys to pick up rotations made elsewhere. */
  signingKeysRefreshSeconds?: number;
}

export const SECURITY_OPTIONS = Symbol('latchkey.security.options');

export const DEFAULT_SIGNING_KEYS_REFRESH_SECONDS = 60;
