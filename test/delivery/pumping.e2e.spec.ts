import { AggregateRepository } from '@latchkey/event-store';
import { User } from '@latchkey/identity';
import { signUp, startApi, type TestApi } from '@latchkey/testing';

/** SMS-pumping defences: codes to phone numbers are capped per number and limited to allowed countries. */
async function blocked(api: TestApi, challengeId: string): Promise<{ channel: string; reason: string }[]> {
  const { rows } = await api.pg.query(`SELECT data FROM events WHERE stream_id = $1 AND type = 'login.delivery_blocked' ORDER BY version`, [
    `login-${challengeId}`,
  ]);
  return rows.map((r) => ({ channel: r.data.channel, reason: r.data.reason }));
}

describe('country allow-list', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startApi('pumping_country', { SMS_ALLOWED_COUNTRIES: 'DE,AT' });
  });

  afterAll(() => api.close());

  it('sends the code by email when the number is outside the allowed countries, and records why', async () => {
    const user = await signUp(api.http, { phone: '+385911234567' }); // Croatia
    const res = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    expect(res.body).toMatchObject({ status: 'otp_required', channel: 'email', availableChannels: ['email'] });
    expect(await blocked(api, res.body.challengeId)).toEqual([
      { channel: 'sms', reason: 'country_not_allowed' },
      { channel: 'voice', reason: 'country_not_allowed' },
    ]);
  });

  it('lets an allowed country through', async () => {
    const user = await signUp(api.http, { phone: '+4915112345678' }); // Germany
    const res = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    expect(res.body).toMatchObject({ channel: 'sms', availableChannels: ['sms', 'voice'] });
  });
});

describe('per-number daily cap', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startApi('pumping_number', { OTP_MAX_SENDS_PER_NUMBER_PER_DAY: '3' });
  });

  afterAll(() => api.close());

  it('counts codes to one number across users and accounts, then sends none to it — and none to the mailbox instead', async () => {
    // Anyone can sign up accounts with a stranger's number and use up its cap; an email fallback
    // would then hand the stranger's next code to whoever reads their mailbox.
    const phone = '+385987654321';
    const a = await signUp(api.http, { phone });
    const b = await signUp(api.http, { phone });
    const first = await api.http.post('/auth/login').send({ login: a.email, password: a.password }).expect(200);
    expect(first.body.channel).toBe('sms');
    api.clock.advance(31);
    expect((await api.http.post('/auth/otp/resend').send({ challengeId: first.body.challengeId, channel: 'voice' }).expect(202)).body.channel).toBe('voice');
    const other = await api.http.post('/auth/login').send({ login: b.email, password: b.password }).expect(200);
    expect(other.body.channel).toBe('sms');

    // The fourth code to that number in a day: refused, with when to try again; the challenge keeps its code.
    api.clock.advance(31);
    const fourth = await api.http.post('/auth/otp/resend').send({ challengeId: first.body.challengeId, channel: 'sms' }).expect(429);
    expect(fourth.body.type).toBe('/problems/rate-limited');
    expect(Number(fourth.headers['retry-after'])).toBeGreaterThan(3600);
    const status = await api.http.get(`/auth/otp/${first.body.challengeId}`).expect(200);
    expect(status.body).toMatchObject({ channel: 'voice', availableChannels: ['sms', 'voice'] });
    expect(await blocked(api, first.body.challengeId)).toEqual([]);
    // A new login of that number's user gets no code either.
    const login = await api.http.post('/auth/login').send({ login: a.email, password: a.password }).expect(429);
    expect(login.body.type).toBe('/problems/rate-limited');
    // Refusals for the number's cap spend none of the user's 5 codes an hour: after four more,
    // the user (2 codes so far) still gets one once they choose email.
    for (let i = 0; i < 4; i++) await api.http.post('/auth/login').send({ login: a.email, password: a.password }).expect(429);
    await api.app.get(AggregateRepository).update(User, a.userId, (u) => u.changePreferences({ twoFactorChannel: 'email' }));
    expect((await api.http.post('/auth/login').send({ login: a.email, password: a.password }).expect(200)).body.channel).toBe('email');

    // A user who chose email may ask for their phone; past the cap the code stays with email
    // and the phone channels close for that challenge.
    const c = await signUp(api.http, { phone });
    await api.app.get(AggregateRepository).update(User, c.userId, (u) => u.changePreferences({ twoFactorChannel: 'email' }));
    const byEmail = await api.http.post('/auth/login').send({ login: c.email, password: c.password }).expect(200);
    expect(byEmail.body).toMatchObject({ channel: 'email', availableChannels: ['email', 'sms', 'voice'] });
    api.clock.advance(31);
    const asked = await api.http.post('/auth/otp/resend').send({ challengeId: byEmail.body.challengeId, channel: 'sms' }).expect(202);
    expect(asked.body.channel).toBe('email');
    expect(await blocked(api, byEmail.body.challengeId)).toEqual([
      { channel: 'sms', reason: 'number_daily_cap' },
      { channel: 'voice', reason: 'number_daily_cap' },
    ]);
    const after = await api.http.get(`/auth/otp/${byEmail.body.challengeId}`).expect(200);
    expect(after.body).toMatchObject({ channel: 'email', availableChannels: ['email'] });
  });
});
