import { AggregateRepository } from '@latchkey/event-store';
import { User } from '@latchkey/identity';
import { codeOf, signUp, startApi, type TestApi } from '@latchkey/testing';

let api: TestApi;

beforeAll(async () => {
  api = await startApi('otp');
});

afterAll(() => api.close());

async function challenge(phone?: string) {
  const user = await signUp(api.http, phone ? { phone } : {});
  const res = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
  return { user, challengeId: res.body.challengeId as string, body: res.body };
}

function wrongCodeFor(code: string): string {
  return code === '000000' ? '111111' : '000000';
}

describe('one-time codes', () => {
  it('are 6 digits, counted down on every wrong try, and dead after the last one (even for the right code)', async () => {
    const { challengeId } = await challenge();
    const code = await codeOf(api, challengeId);
    expect(code).toMatch(/^\d{6}$/);
    const wrong = wrongCodeFor(code);
    const left: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api.http.post('/auth/otp/verify').send({ challengeId, code: wrong }).expect(400);
      expect(res.body.type).toBe('/problems/invalid-otp');
      left.push(res.body.attemptsLeft);
    }
    expect(left).toEqual([4, 3, 2, 1, 0]);
    const dead = await api.http.post('/auth/otp/verify').send({ challengeId, code }).expect(429);
    expect(dead.body.type).toBe('/problems/too-many-attempts');
  });

  it('expire after OTP_TTL_SECONDS, and a resend does not bring an expired challenge back', async () => {
    const { challengeId } = await challenge();
    const code = await codeOf(api, challengeId);
    api.clock.advance(301);
    const res = await api.http.post('/auth/otp/verify').send({ challengeId, code }).expect(410);
    expect(res.body.type).toBe('/problems/otp-expired');
    const resend = await api.http.post('/auth/otp/resend').send({ challengeId }).expect(410);
    expect(resend.body.type).toBe('/problems/otp-expired');
    // No new code was sent, and the challenge is still over.
    const { rows } = await api.pg.query(`SELECT count(*)::int AS n FROM events WHERE stream_id = $1 AND type = 'login.otp_resent'`, [`login-${challengeId}`]);
    expect(rows[0].n).toBe(0);
    await api.http.post('/auth/otp/verify').send({ challengeId, code }).expect(410);
  });

  it('succeed exactly once when the right code is sent 20 times in parallel', async () => {
    const { challengeId } = await challenge();
    const code = await codeOf(api, challengeId);
    const results = await Promise.all(Array.from({ length: 20 }, () => api.http.post('/auth/otp/verify').send({ challengeId, code })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 200).every((s) => s === 410)).toBe(true);
    const { rows } = await api.pg.query(`SELECT count(*)::int AS n FROM events WHERE type = 'session.started' AND data->>'loginId' = $1`, [challengeId]);
    expect(rows[0].n).toBe(1);
  });

  it('trust the device unless told not to', async () => {
    const { user, challengeId } = await challenge();
    const res = await api.http.post('/auth/otp/verify').send({ challengeId, code: await codeOf(api, challengeId), trustDevice: false }).expect(200);
    expect(res.body.deviceToken).toBeUndefined();
    expect(res.headers['set-cookie']).toBeUndefined();
    const again = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    expect(again.body.status).toBe('otp_required');
  });

  it('answer an unknown challenge with 404', async () => {
    const res = await api.http.post('/auth/otp/verify').send({ challengeId: '6f0c5a8e-1f3b-4c1e-9a57-3b2f1d0c9e11', code: '123456' }).expect(404);
    expect(res.body.type).toBe('/problems/not-found');
  });
});

describe('resending a code', () => {
  it('waits for the cooldown, then sends a new code that replaces the old one', async () => {
    const { challengeId } = await challenge();
    const first = await codeOf(api, challengeId);
    const early = await api.http.post('/auth/otp/resend').send({ challengeId }).expect(429);
    expect(early.body.type).toBe('/problems/rate-limited');
    expect(Number(early.headers['retry-after'])).toBeGreaterThanOrEqual(29);

    api.clock.advance(31);
    const resent = await api.http.post('/auth/otp/resend').send({ challengeId }).expect(202);
    expect(resent.body).toMatchObject({ channel: 'email', destination: expect.stringContaining('***@example.com') });
    expect(new Date(resent.body.resendAvailableAt).getTime()).toBeGreaterThan(api.clock.now().getTime() + 25_000);
    const second = await codeOf(api, challengeId);
    if (second !== first) {
      const old = await api.http.post('/auth/otp/verify').send({ challengeId, code: first }).expect(400);
      expect(old.body.attemptsLeft).toBe(4);
    }
    await api.http.post('/auth/otp/verify').send({ challengeId, code: second }).expect(200);
  });

  it('switches to another available channel on request, and refuses one that is not available', async () => {
    const { challengeId, body } = await challenge('+385911234567');
    expect(body).toMatchObject({ channel: 'sms', availableChannels: ['sms', 'voice'] });
    api.clock.advance(31);
    const voice = await api.http.post('/auth/otp/resend').send({ challengeId, channel: 'voice' }).expect(202);
    expect(voice.body).toMatchObject({ channel: 'voice', destination: '+385*****67' });

    const emailOnly = await challenge();
    api.clock.advance(31);
    const refused = await api.http.post('/auth/otp/resend').send({ challengeId: emailOnly.challengeId, channel: 'sms' }).expect(400);
    expect(refused.body).toMatchObject({ type: '/problems/validation', errors: [{ field: 'channel', message: expect.stringContaining('email') }] });
  });

  it('sends at most 5 codes to one user per hour', async () => {
    const { challengeId } = await challenge();
    for (let i = 0; i < 4; i++) {
      api.clock.advance(31);
      await api.http.post('/auth/otp/resend').send({ challengeId }).expect(202);
    }
    api.clock.advance(31);
    const sixth = await api.http.post('/auth/otp/resend').send({ challengeId }).expect(429);
    expect(sixth.body.type).toBe('/problems/rate-limited');
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('never offers the mailbox to a user whose codes go to their phone, even after a reset through that mailbox', async () => {
    // Someone who reads the user's mail resets the password through it and logs in from a new device.
    const user = await signUp(api.http, { phone: '+385911234570' });
    await api.http.post('/auth/password/forgot').send({ login: user.email }).expect(202);
    const res = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    expect(res.body).toMatchObject({ status: 'otp_required', channel: 'sms', availableChannels: ['sms', 'voice'] });
    api.clock.advance(31);
    const refused = await api.http.post('/auth/otp/resend').send({ challengeId: res.body.challengeId, channel: 'email' }).expect(400);
    expect(refused.body).toMatchObject({ type: '/problems/validation', errors: [{ field: 'channel', message: expect.stringContaining('sms, voice') }] });
    // A user who chose email is offered their phone as well.
    await api.app.get(AggregateRepository).update(User, user.userId, (u) => u.changePreferences({ twoFactorChannel: 'email' }));
    const byEmail = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    expect(byEmail.body).toMatchObject({ channel: 'email', availableChannels: ['email', 'sms', 'voice'] });
  });

  it('falls back to email when the preferred channel needs a phone the user does not have', async () => {
    const user = await signUp(api.http);
    await api.app.get(AggregateRepository).update(User, user.userId, (u) => u.changePreferences({ twoFactorChannel: 'voice' }));
    const res = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    expect(res.body).toMatchObject({ channel: 'email', availableChannels: ['email'] });
  });
});

describe('many requests on one challenge', () => {
  let small: TestApi;

  beforeAll(async () => {
    small = await startApi('otp_pool', { DATABASE_POOL_SIZE: '2' });
  });

  afterAll(() => small.close());

  it('never starve the lock holder of a connection, even with far more requests than pooled connections', async () => {
    const user = await signUp(small.http);
    const login = await small.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    const code = await codeOf(small, login.body.challengeId);
    const results = await Promise.all(Array.from({ length: 12 }, () => small.http.post('/auth/otp/verify').send({ challengeId: login.body.challengeId, code })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.every((r) => r.status === 200 || r.status === 410)).toBe(true);
  });
});
