import { SecretBoxError } from '../errors';
import { SecretBox } from './secret-box.service';

const current = { kid: 'k2026', key: Buffer.alloc(32, 1) };
const older = { kid: 'k.2025', key: Buffer.alloc(32, 2) };
const secret = '493817';

function failure(open: () => unknown): SecretBoxError {
  try {
    open();
  } catch (error) {
    expect(error).toBeInstanceOf(SecretBoxError);
    const message = (error as Error).message;
    // Never the secret, never key material.
    expect(message).not.toContain(secret);
    for (const { key } of [current, older]) {
      expect(message).not.toContain(key.toString('base64'));
      expect(message).not.toContain(key.toString('hex'));
    }
    return error as SecretBoxError;
  }
  throw new Error('the box opened');
}

describe('SecretBox', () => {
  const box = new SecretBox([current, older]);

  it('seals with the first key as v1.<kid>.<iv>.<ciphertext> and opens it again', () => {
    const sealed = box.encrypt(secret, 'event-1');
    expect(sealed).toMatch(/^v1\.k2026\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain(secret);
    expect(box.decrypt(sealed, 'event-1')).toBe(secret);
    expect(box.encrypt(secret, 'event-1')).not.toBe(sealed); // a fresh IV every time
    expect(box.decrypt(box.encrypt('é ✓ 🔑'), '')).toBe('é ✓ 🔑');
  });

  it('opens what an older key sealed after a new key was put first (rotation), and says it needs resealing', () => {
    const before = new SecretBox([older]).encrypt(secret, 'ctx');
    expect(before.startsWith('v1.k.2025.')).toBe(true);
    expect(box.decrypt(before, 'ctx')).toBe(secret);
    expect(box.needsReseal(before)).toBe(true);
    expect(box.needsReseal(box.encrypt(secret))).toBe(false);
  });

  it('refuses a box sealed under a key it does not hold, naming the key id only', () => {
    const foreign = new SecretBox([{ kid: 'elsewhere', key: Buffer.alloc(32, 3) }]).encrypt(secret);
    const error = failure(() => box.decrypt(foreign));
    expect(error.reason).toBe('unknown_key');
    expect(error.message).toContain('"elsewhere"');
  });

  it('detects tampering: changed bytes, other associated data, a key id swapped for another', () => {
    const sealed = box.encrypt(secret, 'login-1');
    const [v, kid, iv, data] = sealed.split('.');
    const bytes = Buffer.from(data, 'base64url');
    bytes[0] ^= 1;
    expect(failure(() => box.decrypt([v, kid, iv, bytes.toString('base64url')].join('.'), 'login-1')).reason).toBe('tampered');
    expect(failure(() => box.decrypt(sealed, 'login-2')).reason).toBe('tampered');
    expect(failure(() => box.decrypt(sealed)).reason).toBe('tampered');
    expect(failure(() => box.decrypt(['v1', 'k.2025', iv, data].join('.'), 'login-1')).reason).toBe('tampered');
    const tag = Buffer.from(data, 'base64url');
    tag[tag.length - 1] ^= 1;
    expect(failure(() => box.decrypt([v, kid, iv, tag.toString('base64url')].join('.'), 'login-1')).reason).toBe('tampered');
  });

  it.each([['plain text'], ['v2.k2026.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA'], ['v1.k2026.short.AAAAAAAAAAAAAAAAAAAAAA'], ['v1.k2026.AAAAAAAAAAAAAAAA.AAAA'], ['']])(
    'refuses %p as not a sealed secret',
    (value) => {
      expect(failure(() => box.decrypt(value)).reason).toBe('malformed');
    },
  );

  it('makes per-purpose MACs as <kid>:<hex> that verify with any key of the keyring', () => {
    const mac = box.hmac('otp', `challenge-1:${secret}`);
    expect(mac).toMatch(/^k2026:[0-9a-f]{64}$/);
    expect(box.hmac('otp', `challenge-1:${secret}`)).toBe(mac);
    expect(box.verifyHmac('otp', `challenge-1:${secret}`, mac)).toBe(true);
    expect(box.verifyHmac('otp', `challenge-1:000000`, mac)).toBe(false);
    expect(box.verifyHmac('reset', `challenge-1:${secret}`, mac)).toBe(false);
    expect(box.hmac('reset', `challenge-1:${secret}`)).not.toBe(mac);

    const olderMac = new SecretBox([older]).hmac('otp', 'x');
    expect(box.verifyHmac('otp', 'x', olderMac)).toBe(true);
    expect(new SecretBox([{ kid: 'k2026', key: Buffer.alloc(32, 9) }]).verifyHmac('otp', `challenge-1:${secret}`, mac)).toBe(false);
  });

  it.each([['unknown:' + '0'.repeat(64)], ['k2026:' + '0'.repeat(63)], ['k2026:xyz'], [''], [':'], ['k2026']])('answers false for the MAC %p', (mac) => {
    expect(box.verifyHmac('otp', 'x', mac)).toBe(false);
  });

  it('refuses a keyring it cannot use', () => {
    expect(() => new SecretBox([])).toThrow(/empty/);
    expect(() => new SecretBox([{ kid: 'short', key: Buffer.alloc(16) }])).toThrow(/32 bytes/);
    expect(() => new SecretBox([current, current])).toThrow(/twice/);
    expect(() => new SecretBox([{ kid: 'bad kid', key: Buffer.alloc(32) }])).toThrow(/key id/);
  });
});
