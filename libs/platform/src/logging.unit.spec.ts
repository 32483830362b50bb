import { Writable } from 'node:stream';
import { createLogger, redactUrl } from './logging';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

describe('log redaction', () => {

  it('hides secrets wherever they sit in a logged object', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ logLevel: 'info' }, 'api', stream);
    logger.info(
      {
        password: 'pw-top',
        body: { newPassword: 'pw-nested', code: '123456' },
        job: { data: { token: 'tok-deep', refreshToken: 'rt-deep' } },
        login: { challenge: { otp: { code: '654321' } } },
        deep: [{ a: { b: { c: { d: { refreshToken: 'rt-very-deep' } } } } }],
        headers: { Authorization: 'Bearer hdr', 'X-Device-Token': 'dev-hdr' },
        email: 'ana@example.com',
      },
      'something happened',
    );
    const line = lines.join('');
    for (const secret of ['pw-top', 'pw-nested', '123456', 'tok-deep', 'rt-deep', '654321', 'rt-very-deep', 'Bearer hdr', 'dev-hdr']) expect(line).not.toContain(secret);
    expect(line).toContain('[redacted]');
    expect(line).toContain('ana@example.com');
  });

  it('hides secrets in URLs (reset links, OAuth and SAML callbacks)', () => {
    expect(redactUrl('/reset-password?token=abc123&lang=de')).toBe('/reset-password?token=[redacted]&lang=de');
    expect(redactUrl('/auth/oauth/google/callback?state=s1&code=c2')).toBe('/auth/oauth/google/callback?state=[redacted]&code=[redacted]');
    expect(redactUrl('/health/ready')).toBe('/health/ready');
  });

  it.each([
    'password',
    'newPassword',
    'currentPassword',
    'access_token',
    'refresh_token',
    'id_token',
    'client_secret',
    'SAMLResponse',
  ])('hides %s in a URL query string, whatever its case', (name) => {
    for (const spelled of [name, name.toLowerCase(), name.toUpperCase()]) {
      expect(redactUrl(`/auth/login?${spelled}=hunter2&lang=de`)).toBe(`/auth/login?${spelled}=[redacted]&lang=de`);
      expect(redactUrl(`/auth/login?lang=de&${spelled}=hunter2#top`)).toBe(`/auth/login?lang=de&${spelled}=[redacted]#top`);
    }
  });

  it('masks only whole parameter names', () => {
    expect(redactUrl('/x?passwordHint=blue&mycode=7')).toBe('/x?passwordHint=blue&mycode=7');
  });

});
