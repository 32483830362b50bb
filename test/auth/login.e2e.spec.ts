import { GOOD_PASSWORD, codeOf, signUp, startApi, unique, type TestApi } from '@latchkey/testing';

let api: TestApi;

beforeAll(async () => {
  api = await startApi('login');
});

afterAll(() => api.close());

describe('sign-up', () => {
  it('creates an account whose first user is its account_admin', async () => {
    const user = await signUp(api.http, { locale: 'de-AT' });
    expect(user.accountId).toMatch(/^[0-9a-f-]{36}$/);
    const session = await loginAndVerify(user.email, user.password);
    const me = await api.http.get('/auth/me').set('Authorization', `Bearer ${session.accessToken}`).expect(200);
    expect(me.body).toMatchObject({
      id: user.userId,
      accountId: user.accountId,
      email: user.email,
      username: user.username,
      roles: ['account_admin'],
      webAccess: true,
      locale: 'de',
      twoFactorChannel: 'email',
      phone: null,
    });
  });

  it('makes SMS the code channel when a phone is given, and masks the phone', async () => {
    const user = await signUp(api.http, { phone: '+385911234521' });
    const res = await api.http.post('/auth/login').send({ login: user.username, password: user.password }).expect(200);
    expect(res.body).toMatchObject({ status: 'otp_required', channel: 'sms', destination: '+385*****21', availableChannels: ['sms', 'voice'] });
  });

  it('refuses a username taken by anyone, whatever its case', async () => {
    const first = await signUp(api.http);
    const res = await api.http
      .post('/auth/signup')
      .send({ accountName: 'Other', email: `x${first.email}`, username: first.username.toUpperCase(), password: GOOD_PASSWORD })
      .expect(409);
    expect(res.body.type).toBe('/problems/username-taken');
  });

  it('lets the same email sign up another account', async () => {
    const first = await signUp(api.http);
    await signUp(api.http, { email: first.email.toUpperCase() });
  });

  it.each([
    ['too short', 'short1!', 'too_short'],
    ['common', 'password123', 'common'],
    ['the username', 'USERNAME', 'same_as_username'],
    ['far too long', 'x'.repeat(20_000), 'too_long'],
  ])('refuses a weak password (%s) with 422 and a reason', async (_case, password, reason) => {
    const username = unique('weak');
    const res = await api.http
      .post('/auth/signup')
      .send({ accountName: 'Weak', email: `${username}@example.com`, username, password: password === 'USERNAME' ? `${username}` : password });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ type: '/problems/weak-password' });
    expect(res.body.reasons).toContain(reason);
  });

  it('lists the invalid fields', async () => {
    const res = await api.http.post('/auth/signup').send({ accountName: '', email: 'not-an-email', username: 'a b', password: 12 }).expect(400);
    expect(res.body.type).toBe('/problems/validation');
    expect([...new Set(res.body.errors.map((e: { field: string }) => e.field))].sort()).toEqual(['accountName', 'email', 'password', 'username']);
    const phone = await api.http
      .post('/auth/signup')
      .send({ accountName: 'P', email: 'p@example.com', username: unique('phone'), password: GOOD_PASSWORD, phone: '0911234567' })
      .expect(400);
    expect(phone.body.errors).toEqual([{ field: 'phone', message: expect.stringContaining('E.164') }]);
  });
});

async function loginAndVerify(login: string, password: string) {
  const first = await api.http.post('/auth/login').send({ login, password }).expect(200);
  expect(first.body.status).toBe('otp_required');
  const code = await codeOf(api, first.body.challengeId);
  const res = await api.http.post('/auth/otp/verify').send({ challengeId: first.body.challengeId, code }).expect(200);
  return res.body;
}
