import { generateOtp, randomToken, sha256, timingSafeEqualText } from './secrets';

describe('secrets', () => {
  it('makes 256-bit base64url tokens by default, each one different', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => randomToken()));
    expect(tokens.size).toBe(1000);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
    expect(Buffer.from(randomToken(48), 'base64url')).toHaveLength(48);
  });

  it('refuses to make a token too short to resist guessing', () => {
    expect(() => randomToken(8)).toThrow(RangeError);
    expect(() => randomToken(16.5)).toThrow(RangeError);
  });

  it('hashes tokens with SHA-256 as lowercase hex', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256(randomToken())).toMatch(/^[0-9a-f]{64}$/);
  });

  it('makes 6-digit codes over the whole range, leading zeros kept', () => {
    const codes = Array.from({ length: 20_000 }, () => generateOtp());
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    // 10% of uniform codes start with 0; none doing so would mean the zeros were dropped.
    const leadingZero = codes.filter((c) => c.startsWith('0')).length / codes.length;
    expect(leadingZero).toBeGreaterThan(0.08);
    expect(leadingZero).toBeLessThan(0.12);
    expect(new Set(codes.map((c) => c[5])).size).toBe(10);
  });

  it('compares secrets without throwing on different lengths', () => {
    expect(timingSafeEqualText('123456', '123456')).toBe(true);
    expect(timingSafeEqualText('123456', '123457')).toBe(false);
    expect(timingSafeEqualText('123456', '1234567')).toBe(false);
    expect(timingSafeEqualText('', '')).toBe(true);
    expect(timingSafeEqualText('', 'x')).toBe(false);
  });
});
