import { ConfigError, configurationWarnings, loadConfig } from './app-config';

function problemOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('configuration was accepted');
}

describe('configuration', () => {
  it('defaults to what API.md documents', () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(3000);
    expect(config.worker.port).toBe(3001);
    expect(config.redis.url).toBe('redis://localhost:6379');
    expect(new URL(config.database.url).pathname).toBe('/latchkey');
    expect(config.publicApiUrl).toBe('http://localhost:3000');
    expect(config.publicWebUrl).toBe('http://localhost:3000');
    expect(config.sms.provider).toBe('console');
    expect(config.voice.provider).toBe('console');
    expect(config.email.provider).toBe('console');
    expect(config.google.issuer).toBe('https://accounts.google.com');
    expect(config.github).toMatchObject({ url: 'https://github.com', apiUrl: 'https://api.github.com' });
    expect(config.otp).toEqual({ ttlSeconds: 300, maxAttempts: 5, resendCooldownSeconds: 30 });
    expect(config.deviceTrustDays).toBe(90);
    expect(config.resetTokenTtlSeconds).toBe(3600);
    expect(config.tokens).toEqual({ accessTtlSeconds: 900, refreshTtlSeconds: 2592000 });
    expect(config.encryptionKeys).toBeUndefined();
  });

  it('warns in production about each console provider (codes and links would go to the log), and not elsewhere', () => {
    const keys = { ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}` };
    const production = configurationWarnings(loadConfig({ ...keys, NODE_ENV: 'production' }));
    expect(production).toHaveLength(3);
    expect(production[0]).toMatch(/^SMS_PROVIDER is console: one-time codes .* written to the worker's log.*; set infobip in production$/);
    expect(production[1]).toMatch(/^VOICE_PROVIDER is console: .*; set infobip in production$/);
    expect(production[2]).toMatch(/^EMAIL_PROVIDER is console: .*reset .* links .*; set ses in production$/);
    const infobipSms = { SMS_PROVIDER: 'infobip', INFOBIP_BASE_URL: 'https://api.infobip.com', INFOBIP_API_KEY: 'k', INFOBIP_SENDER: 'latchkey' };
    expect(configurationWarnings(loadConfig({ ...keys, ...infobipSms, NODE_ENV: 'production' })).map((w) => w.split(' ')[0])).toEqual(['VOICE_PROVIDER', 'EMAIL_PROVIDER']);
    expect(configurationWarnings(loadConfig({}))).toEqual([]);
    expect(configurationWarnings(loadConfig({ NODE_ENV: 'test' }))).toEqual([]);
  });

  it('fills in the login name when DATABASE_URL names no user, as psql would', () => {
    expect(new URL(loadConfig({ DATABASE_URL: 'postgres://db.internal:5432/auth' }).database.url).username).not.toBe('');
    expect(new URL(loadConfig({ DATABASE_URL: 'postgres://svc:pw@db.internal/auth' }).database.url).username).toBe('svc');
  });

  it.each([
    ['OTP_TTL_SECONDS', 'abc'],
    ['OTP_MAX_ATTEMPTS', 'many'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://localhost/x'],
    ['REDIS_URL', 'not a url'],
    ['PUBLIC_WEB_URL', 'ftp://example.com'],
    ['SMS_PROVIDER', 'twilio'],
    ['EMAIL_PROVIDER', 'smtp'],
    ['LOG_LEVEL', 'loud'],
    ['DEVICE_TRUST_DAYS', '-1'],
    ['TRUST_PROXY', 'maybe'],
    ['TRUST_PROXY', '10.0.0.0/99'],
    ['TRUST_PROXY', '0.0.0.0/0'],
    ['TRUST_PROXY', '10.0.0.0/255.0.255.0'],
    ['TRUST_PROXY', '10.0.0.0/0.0.0.0'],
    ['EMAIL_FROM', 'not-an-email'],
    ['AWS_REGION', '???'],
    // Past any sane setting: a typo, and timers or dates built from it would overflow.
    ['OTP_TTL_SECONDS', '99999999999999999999'],
    ['SHUTDOWN_TIMEOUT_SECONDS', '3000000'],
    ['REFRESH_TOKEN_TTL_SECONDS', '400000000'],
    ['DELIVERY_RETRY_DELAY_MS', '99999999999'],
  ])('names %s when it is malformed, without repeating its value', (variable, value) => {
    const message = problemOf({ [variable]: value });
    expect(message).toContain(variable);
    expect(message).not.toContain(value);
    expect(message).not.toContain('\n');
  });

  it('takes the trusted-proxy forms Fastify knows, and senders with a display name', () => {
    for (const value of ['true', 'false', '2', 'loopback', 'LOOPBACK', '10.0.0.1, 192.168.0.0/16, ::1, fd00::/8', '10.0.0.0/255.0.0.0', 'loopback,uniquelocal']) {
      expect(() => loadConfig({ TRUST_PROXY: value })).not.toThrow();
    }
    // Fastify's proxy-addr knows the range names in lower case only.
    expect(loadConfig({ TRUST_PROXY: ' LoopBack ' }).http.trustProxy).toBe('loopback');
    const ses = { EMAIL_PROVIDER: 'ses', AWS_REGION: 'us-gov-west-1' };
    expect(loadConfig({ ...ses, EMAIL_FROM: 'Latchkey <no-reply@example.com>' }).email.from).toBe('Latchkey <no-reply@example.com>');
  });

  it('names every malformed variable in one line', () => {
    const message = problemOf({ PORT: 'x', OTP_TTL_SECONDS: 'y' });
    expect(message).toMatch(/PORT/);
    expect(message).toMatch(/OTP_TTL_SECONDS/);
    expect(message.split('\n')).toHaveLength(1);
  });

  it('names the variable a chosen provider still needs', () => {
    expect(problemOf({ SMS_PROVIDER: 'infobip', INFOBIP_BASE_URL: 'https://api.infobip.com' })).toMatch(/INFOBIP_API_KEY is missing/);
    expect(problemOf({ EMAIL_PROVIDER: 'ses', EMAIL_FROM: 'no-reply@example.com' })).toMatch(/AWS_REGION is missing/);
    expect(problemOf({ GOOGLE_CLIENT_ID: 'id' })).toMatch(/GOOGLE_CLIENT_SECRET is missing/);
    expect(problemOf({ GITHUB_CLIENT_SECRET: 'secret' })).toMatch(/GITHUB_CLIENT_ID is missing/);
  });

  it('requires ENCRYPTION_KEYS in production only', () => {
    expect(problemOf({ NODE_ENV: 'production' })).toMatch(/ENCRYPTION_KEYS is missing/);
    expect(loadConfig({ NODE_ENV: 'development' }).encryptionKeys).toBeUndefined();
  });

  it('reads the keyring: the first key encrypts, all decrypt', () => {
    const a = Buffer.alloc(32, 1).toString('base64');
    const b = Buffer.alloc(32, 2).toString('base64');
    const config = loadConfig({ ENCRYPTION_KEYS: `2026-11:${a}, 2026-05:${b}` });
    expect(config.encryptionKeys!.map((k) => k.kid)).toEqual(['2026-11', '2026-05']);
    expect(config.encryptionKeys![0].key).toEqual(Buffer.alloc(32, 1));
  });

  it.each([
    ['a key of the wrong length', `k1:${Buffer.alloc(16).toString('base64')}`],
    ['a key without an id', Buffer.alloc(32).toString('base64')],
    ['the same id twice', `k1:${Buffer.alloc(32).toString('base64')},k1:${Buffer.alloc(32, 3).toString('base64')}`],
    // Key and id the wrong way round: the "id" is the key (base64url is also a valid id).
    ['key and id swapped', `${Buffer.alloc(32).toString('base64url')}:k1`],
  ])('refuses a keyring with %s and never prints key material', (_case, value) => {
    const message = problemOf({ ENCRYPTION_KEYS: value });
    expect(message).toContain('ENCRYPTION_KEYS');
    expect(message).not.toContain(Buffer.alloc(32).toString('base64'));
    expect(message).not.toContain(Buffer.alloc(32).toString('base64url'));
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', SMS_PROVIDER: '' }).http.port).toBe(3000);
  });
});
