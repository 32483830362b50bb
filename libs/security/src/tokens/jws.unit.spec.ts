import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { InvalidAccessTokenError, type InvalidAccessTokenReason } from '../errors';
import { decodeJws, jwkThumbprint, signJws, verifyAccessToken } from './jws';

const issuer = 'https://auth.example.com';
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const kid = jwkThumbprint(publicKey.export({ format: 'jwk' }));
const keys = new Map<string, KeyObject>([[kid, publicKey]]);
const keyFor = (id: string) => keys.get(id);

const issuedAt = 1_767_225_600; // 2026-01-01T00:00:00Z
const at = (seconds: number) => new Date(seconds * 1000);
const claims = { sub: 'user-1', acc: 'account-1', roles: ['member'], sid: 'session-1' };
const token = signJws({ kid }, { ...claims, iss: issuer, iat: issuedAt, exp: issuedAt + 900 }, privateKey);

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const [, payloadPart, signaturePart] = token.split('.');

function refusal(candidate: unknown, now = at(issuedAt + 60)): InvalidAccessTokenReason {
  try {
    verifyAccessToken(candidate, { keyFor, issuer, now });
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidAccessTokenError);
    expect((error as InvalidAccessTokenError).code).toBe('invalid_access_token');
    if (typeof candidate === 'string' && candidate.length > 0) expect((error as Error).message).not.toContain(candidate);
    expect((error as InvalidAccessTokenError).details).toEqual({});
    return (error as InvalidAccessTokenError).reason;
  }
  throw new Error('the token was accepted');
}

describe('compact JWS (EdDSA)', () => {
  it('signs a JWT with alg EdDSA, typ JWT and the kid, and verifies it back to its claims', () => {
    expect(decodeJws(token).header).toEqual({ alg: 'EdDSA', typ: 'JWT', kid });
    expect(verifyAccessToken(token, { keyFor, issuer, now: at(issuedAt + 60) })).toEqual({
      ...claims,
      iss: issuer,
      iat: issuedAt,
      exp: issuedAt + 900,
    });
  });

  it('names keys by their RFC 7638 thumbprint (RFC 8037 A.3 test vector)', () => {
    expect(jwkThumbprint({ crv: 'Ed25519', kty: 'OKP', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' })).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });

  it('interoperates: a token signed with the RFC 8037 key verifies with its public JWK', () => {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
    const rfcPrivate = createPrivateKey({ key: { ...jwk, d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A' }, format: 'jwk' });
    const rfcKid = jwkThumbprint(jwk);
    const signed = signJws({ kid: rfcKid }, { ...claims, iss: issuer, iat: issuedAt, exp: issuedAt + 60 }, rfcPrivate);
    const rfcPublic = createPublicKey({ key: jwk, format: 'jwk' });
    expect(verifyAccessToken(signed, { keyFor: (id) => (id === rfcKid ? rfcPublic : undefined), issuer, now: at(issuedAt) }).sub).toBe('user-1');
  });

  it('refuses a tampered signature or payload', () => {
    const signature = Buffer.from(signaturePart, 'base64url');
    signature[10] ^= 1;
    const [header] = token.split('.');
    expect(refusal(`${header}.${payloadPart}.${signature.toString('base64url')}`)).toBe('bad_signature');
    expect(refusal(`${header}.${part({ ...decodeJws(token).payload, roles: ['account_admin'] })}.${signaturePart}`)).toBe('bad_signature');
    expect(refusal(`${header}.${payloadPart}.${signaturePart.slice(0, 40)}`)).toBe('bad_signature');
  });

  it('refuses a signature made by another Ed25519 key under our kid', () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    expect(refusal(signJws({ kid }, { ...claims, iss: issuer, iat: issuedAt, exp: issuedAt + 900 }, other))).toBe('bad_signature');
  });

  it('refuses alg "none" (unsigned)', () => {
    expect(refusal(`${part({ alg: 'none', typ: 'JWT', kid })}.${payloadPart}.`)).toBe('unsupported_algorithm');
    expect(refusal(`${part({ alg: 'none', kid })}.${payloadPart}.${signaturePart}`)).toBe('unsupported_algorithm');
  });

  it('refuses HS256 signed with the public key as the HMAC secret (algorithm confusion)', () => {
    const raw = publicKey.export({ format: 'der', type: 'spki' });
    const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
    for (const secret of [raw, Buffer.from(pem)]) {
      const input = `${part({ alg: 'HS256', typ: 'JWT', kid })}.${payloadPart}`;
      const forged = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
      expect(refusal(forged)).toBe('unsupported_algorithm');
    }
  });

  it('refuses RS256, even validly signed by an RSA key', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const input = `${part({ alg: 'RS256', typ: 'JWT', kid })}.${payloadPart}`;
    const forged = `${input}.${sign('sha256', Buffer.from(input), rsa.privateKey).toString('base64url')}`;
    expect(refusal(forged)).toBe('unsupported_algorithm');
  });

  it.each([['EDDSA'], ['eddsa'], ['Ed25519'], [['EdDSA']]])('refuses the alg spelled %p', (alg) => {
    expect(refusal(`${part({ alg, typ: 'JWT', kid })}.${payloadPart}.${signaturePart}`)).toBe('unsupported_algorithm');
  });

  it('refuses a token from the second it expires (API.md: an expired token is 401), not before', () => {
    expect(verifyAccessToken(token, { keyFor, issuer, now: at(issuedAt + 899) }).sub).toBe('user-1');
    expect(refusal(token, at(issuedAt + 900))).toBe('expired');
    expect(refusal(token, at(issuedAt + 86_400))).toBe('expired');
  });

  it('refuses a token that is not valid yet (nbf, or iat in the future beyond the leeway)', () => {
    const later = signJws({ kid }, { ...claims, iss: issuer, iat: issuedAt, nbf: issuedAt + 300, exp: issuedAt + 900 }, privateKey);
    expect(refusal(later, at(issuedAt + 200))).toBe('not_yet_valid');
    expect(verifyAccessToken(later, { keyFor, issuer, now: at(issuedAt + 280) }).nbf).toBe(issuedAt + 300);
    expect(refusal(token, at(issuedAt - 120))).toBe('not_yet_valid');
  });

  it('refuses a key id it does not know, or none at all', () => {
    const stranger = generateKeyPairSync('ed25519');
    const strangerKid = jwkThumbprint(stranger.publicKey.export({ format: 'jwk' }));
    expect(refusal(signJws({ kid: strangerKid }, { ...claims, iss: issuer, iat: issuedAt, exp: issuedAt + 900 }, stranger.privateKey))).toBe('unknown_key');
    expect(refusal(`${part({ alg: 'EdDSA', typ: 'JWT' })}.${payloadPart}.${signaturePart}`)).toBe('unknown_key');
  });

  it('refuses a token from another issuer', () => {
    const foreign = signJws({ kid }, { ...claims, iss: 'https://evil.example.com', iat: issuedAt, exp: issuedAt + 900 }, privateKey);
    expect(refusal(foreign)).toBe('wrong_issuer');
    const none = signJws({ kid }, { ...claims, iat: issuedAt, exp: issuedAt + 900 }, privateKey);
    expect(refusal(none)).toBe('wrong_issuer');
  });

  it('refuses a validly signed token without the claims an access token needs', () => {
    const noExp = signJws({ kid }, { ...claims, iss: issuer, iat: issuedAt }, privateKey);
    expect(refusal(noExp)).toBe('missing_claims');
    const noSession = signJws({ kid }, { sub: 'user-1', acc: 'account-1', roles: ['member'], iss: issuer, iat: issuedAt, exp: issuedAt + 900 }, privateKey);
    expect(refusal(noSession)).toBe('missing_claims');
    const stringExp = signJws({ kid }, { ...claims, iss: issuer, iat: issuedAt, exp: String(issuedAt + 900) }, privateKey);
    expect(refusal(stringExp)).toBe('missing_claims');
  });

  it.each([
    ['not a token'],
    [''],
    [42],
    [undefined],
    [`${token}.extra`],
    [token.replace('.', '..')],
    [`${token.split('.')[0]}=.${payloadPart}.${signaturePart}`],
    [`${part(['EdDSA'])}.${payloadPart}.${signaturePart}`],
    [`${Buffer.from('{not json').toString('base64url')}.${payloadPart}.${signaturePart}`],
    [`${part({ alg: 'EdDSA', typ: 'JWT', kid, crit: ['exp'] })}.${payloadPart}.${signaturePart}`],
    [`${part({ alg: 'EdDSA', typ: 'JWT', kid, pad: 'x'.repeat(9000) })}.${payloadPart}.${signaturePart}`],
  ])('refuses the malformed token %#', (candidate) => {
    expect(refusal(candidate)).toBe('malformed');
  });
});
