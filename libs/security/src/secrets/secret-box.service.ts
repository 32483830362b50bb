import { Inject, Injectable } from '@nestjs/common';
import type { EncryptionKey } from '@latchkey/config';
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { SecretBoxError } from '../errors';
import { ENCRYPTION_KEYRING } from './keyring';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KID = /^[A-Za-z0-9_.-]{1,64}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const HMAC_SALT = Buffer.from('latchkey.secret-box.hmac.v1');

/**
 * Seals secrets that must travel or rest readable by latchkey only (a code inside an event
 * for the worker to send, a signing key in the database): AES-256-GCM under a keyring.
 *
 * A box is `v1.<kid>.<iv>.<ciphertext+tag>` (base64url parts). The first key of the keyring
 * seals; any key of the keyring opens the boxes that name it, so a key can be rotated in by
 * putting it first and rotated out once nothing sealed under it is still needed. The version
 * and the key id are authenticated together with the caller's associated data, which binds
 * a box to its context (e.g. the event it belongs to).
 */
@Injectable()
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  private readonly sealing: EncryptionKey;
  private readonly hmacKeys = new Map<string, Buffer>();

  constructor(@Inject(ENCRYPTION_KEYRING) keyring: readonly EncryptionKey[]) {
    if (keyring.length === 0) throw new Error('the encryption keyring is empty');
    for (const { kid, key } of keyring) {
      if (!KID.test(kid)) throw new Error(`encryption key id "${kid.slice(0, 64)}" is not letters, digits, ".", "_" or "-"`);
      if (key.length !== 32) throw new Error(`encryption key "${kid}" is not 32 bytes`);
      if (this.keys.has(kid)) throw new Error(`encryption key id "${kid}" appears twice`);
      this.keys.set(kid, Buffer.from(key));
    }
    this.sealing = { kid: keyring[0].kid, key: this.keys.get(keyring[0].kid)! };
  }

  /** The key id new boxes and MACs are made with. */
  get currentKid(): string {
    return this.sealing.kid;
  }

  encrypt(plaintext: string, aad = ''): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.sealing.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(this.sealing.kid, aad));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}.${this.sealing.kid}.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
  }

  decrypt(box: string, aad = ''): string {
    const { kid, iv, sealed } = parseBox(box);
    const key = this.keys.get(kid);
    if (!key) throw new SecretBoxError('unknown_key', `the secret is sealed under key "${kid}", which is not in the keyring (ENCRYPTION_KEYS)`);
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(kid, aad));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      // OpenSSL's own message says nothing useful; ours says what an operator can check.
      throw new SecretBoxError('tampered', `the secret sealed under key "${kid}" does not authenticate (altered, or opened in the wrong context)`);
    }
  }

  /** Whether a box was sealed under an older key and should be sealed again with the current one. */
  needsReseal(box: string): boolean {
    return parseBox(box).kid !== this.sealing.kid;
  }

  /**
   * A keyed MAC (HMAC-SHA256) as `<kid>:<hex>`, for values too guessable to store as a plain
   * hash (codes, identifiers). Each purpose gets its own subkey (HKDF from the current key),
   * so a MAC made for one purpose is worthless for another.
   */
  hmac(purpose: string, data: string): string {
    return `${this.sealing.kid}:${this.mac(this.sealing.kid, purpose, data).toString('hex')}`;
  }

  /** Checks a MAC made by `hmac` with any key of the keyring, in constant time. */
  verifyHmac(purpose: string, data: string, mac: string): boolean {
    const colon = mac.lastIndexOf(':');
    const kid = mac.slice(0, Math.max(colon, 0));
    const hex = mac.slice(colon + 1);
    if (colon <= 0 || !this.keys.has(kid) || !/^[0-9a-f]{64}$/.test(hex)) return false;
    return timingSafeEqual(this.mac(kid, purpose, data), Buffer.from(hex, 'hex'));
  }

  private mac(kid: string, purpose: string, data: string): Buffer {
    if (purpose === '') throw new Error('an HMAC needs a purpose');
    const cacheKey = `${kid}\u0000${purpose}`;
    let subkey = this.hmacKeys.get(cacheKey);
    if (!subkey) {
      subkey = Buffer.from(hkdfSync('sha256', this.keys.get(kid)!, HMAC_SALT, Buffer.from(purpose, 'utf8'), 32));
      this.hmacKeys.set(cacheKey, subkey);
    }
    return createHmac('sha256', subkey).update(data, 'utf8').digest();
  }
}

function associatedData(kid: string, aad: string): Buffer {
  // A kid never contains NUL, so header and caller data cannot be shifted into each other.
  return Buffer.from(`${VERSION}.${kid}\u0000${aad}`, 'utf8');
}

/** Splits a box into its parts; key ids may contain dots, so the fixed parts are taken from the ends. */
function parseBox(box: string): { kid: string; iv: Buffer; sealed: Buffer } {
  const parts = typeof box === 'string' ? box.split('.') : [];
  const malformed = () => new SecretBoxError('malformed', 'the value is not a sealed secret (expected v1.<kid>.<iv>.<ciphertext>)');
  if (parts.length < 4 || parts[0] !== VERSION) throw malformed();
  const kid = parts.slice(1, -2).join('.');
  const [ivText, sealedText] = parts.slice(-2);
  if (!KID.test(kid) || !BASE64URL.test(ivText) || !BASE64URL.test(sealedText)) throw malformed();
  const iv = Buffer.from(ivText, 'base64url');
  const sealed = Buffer.from(sealedText, 'base64url');
  if (iv.length !== IV_BYTES || sealed.length < TAG_BYTES) throw malformed();
  return { kid, iv, sealed };
}
