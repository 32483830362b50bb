import { AggregateRepository } from '@latchkey/event-store';
import { User } from '@latchkey/identity';
import { GOOD_PASSWORD, codeOf, loginWithCode, signUp, startApi, unique, type TestApi } from '@latchkey/testing';

let api: TestApi;

beforeAll(async () => {
  api = await startApi('password');
});

afterAll(() => api.close());

async function events(streamPrefix: string, type: string) {
  const { rows } = await api.pg.query(`SELECT data FROM events WHERE stream_id LIKE $1 AND type = $2 ORDER BY global_position`, [`${streamPrefix}%`, type]);
  return rows.map((r) => r.data);
}

describe('password login', () => {
  it('accepts the email or the username in any case and asks a new device for a code', async () => {
    const user = await signUp(api.http);
    for (const login of [user.email.toUpperCase(), user.username.toUpperCase(), `  ${user.email}  `]) {
      const res = await api.http.post('/auth/login').send({ login, password: user.password }).expect(200);
      expect(res.body).toMatchObject({
        status: 'otp_required',
        channel: 'email',
        destination: `${user.username[0]}***@example.com`,
        availableChannels: ['email'],
      });
      expect(new Date(res.body.expiresAt).getTime() - Date.now()).toBeGreaterThan(290_000);
      expect(new Date(res.body.resendAvailableAt).getTime() - Date.now()).toBeGreaterThan(25_000);
    }
  });

  it('answers a wrong password and an unknown login with the same 401 body', async () => {
    const user = await signUp(api.http);
    const wrong = await api.http.post('/auth/login').send({ login: user.email, password: 'not the password at all' }).expect(401);
    const unknown = await api.http.post('/auth/login').send({ login: `nobody-${user.email}`, password: 'not the password at all' }).expect(401);
    const strip = ({ traceId: _t, ...rest }: Record<string, unknown>) => rest;
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
    expect(wrong.body.type).toBe('/problems/invalid-credentials');
    const attempts = await events('login-', 'login.attempted');
    expect(attempts).toEqual(expect.arrayContaining([expect.objectContaining({ outcome: 'failed', reason: 'unknown_login', login: `nobody-${user.email}` })]));
  });

  it('lets a trusted device in without a code, from the body, the header or the cookie', async () => {
    const user = await signUp(api.http);
    const first = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    const code = await codeOf(api, first.body.challengeId);
    const verified = await api.http.post('/auth/otp/verify').send({ challengeId: first.body.challengeId, code, deviceName: 'Laptop' }).expect(200);
    expect(verified.body.status).toBe('authenticated');
    const deviceToken = verified.body.deviceToken as string;
    expect(deviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits, base64url
    const cookie = verified.headers['set-cookie'] as unknown as string[];
    expect(cookie.find((c) => c.startsWith('lk_device='))).toMatch(/HttpOnly.*Secure.*SameSite=Lax|HttpOnly; Secure; SameSite=Lax/);

    const viaBody = await api.http.post('/auth/login').send({ login: user.email, password: user.password, deviceToken }).expect(200);
    const viaHeader = await api.http.post('/auth/login').set('X-Device-Token', deviceToken).send({ login: user.email, password: user.password }).expect(200);
    const viaCookie = await api.http.post('/auth/login').set('Cookie', `lk_device=${deviceToken}`).send({ login: user.email, password: user.password }).expect(200);
    for (const res of [viaBody, viaHeader, viaCookie]) {
      expect(res.body).toMatchObject({ status: 'authenticated', tokenType: 'Bearer', expiresIn: 900, user: { id: user.userId } });
      expect(res.body.deviceToken).toBeUndefined();
    }
    // The body wins over the header: a wrong token in the body means a new device.
    const bodyFirst = await api.http.post('/auth/login').set('X-Device-Token', deviceToken).send({ login: user.email, password: user.password, deviceToken: 'bogus' }).expect(200);
    expect(bodyFirst.body.status).toBe('otp_required');
  });

  it("does not let one user's trusted device skip the code for another user", async () => {
    const a = await signUp(api.http);
    const b = await signUp(api.http);
    const first = await api.http.post('/auth/login').send({ login: a.email, password: a.password }).expect(200);
    const verified = await api.http.post('/auth/otp/verify').send({ challengeId: first.body.challengeId, code: await codeOf(api, first.body.challengeId) }).expect(200);
    const res = await api.http.post('/auth/login').send({ login: b.email, password: b.password, deviceToken: verified.body.deviceToken }).expect(200);
    expect(res.body.status).toBe('otp_required');
  });

  it('makes the login page language the user preference', async () => {
    const user = await signUp(api.http, { locale: 'en' });
    await api.http.post('/auth/login').send({ login: user.email, password: user.password, locale: 'fr-CA' }).expect(200);
    const [latest] = (await events(`user-${user.userId}`, 'user.preferences_changed')).slice(-1);
    expect(latest).toMatchObject({ userId: user.userId, locale: 'fr' });
    // An unsupported language falls back to English.
    await api.http.post('/auth/login').send({ login: user.email, password: user.password, locale: 'ja-JP' }).expect(200);
    expect((await events(`user-${user.userId}`, 'user.preferences_changed')).slice(-1)[0]).toMatchObject({ locale: 'en' });
  });

  it('refuses the code of a user disabled or deprived of web access after their password was checked', async () => {
    const repository = api.app.get(AggregateRepository);
    for (const [change, type] of [
      [{ enabled: false }, '/problems/account-disabled'],
      [{ webAccess: false }, '/problems/web-access-denied'],
    ] as const) {
      const user = await signUp(api.http);
      const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
      expect(login.body.status).toBe('otp_required');
      await repository.update(User, user.userId, (u) => u.changeAccess(change));
      const code = await codeOf(api, login.body.challengeId);
      const refused = await api.http.post('/auth/otp/verify').send({ challengeId: login.body.challengeId, code }).expect(403);
      expect(refused.body.type).toBe(type);
      // The code is spent: the challenge is over, whatever changes next.
      await repository.update(User, user.userId, (u) => u.changeAccess({ enabled: true, webAccess: true }));
      expect((await api.http.post('/auth/otp/verify').send({ challengeId: login.body.challengeId, code }).expect(410)).body.type).toBe('/problems/otp-expired');
      const { rows } = await api.pg.query(`SELECT type FROM events WHERE stream_id = $1 OR (type IN ('session.started', 'device.authorized') AND data->>'userId' = $2)`, [
        `login-${login.body.challengeId}`,
        user.userId,
      ]);
      expect(rows.map((r) => r.type)).toContain('login.rejected');
      expect(rows.map((r) => r.type)).not.toContain('session.started');
      expect(rows.map((r) => r.type)).not.toContain('device.authorized');
    }
  });

  it('ends access for a user without web access even where their session was not revoked', async () => {
    const repository = api.app.get(AggregateRepository);
    const user = await signUp(api.http);
    const tokens = await loginWithCode(api, user);
    await api.http.get('/auth/me').set({ Authorization: `Bearer ${tokens.accessToken}` }).expect(200);
    // Straight on the aggregate: no command revokes the session, the checks on each request must hold.
    await repository.update(User, user.userId, (u) => u.changeAccess({ webAccess: false }));
    await api.http.get('/auth/me').set({ Authorization: `Bearer ${tokens.accessToken}` }).expect(401);
    await api.http.post('/auth/token/refresh').send({ refreshToken: tokens.refreshToken }).expect(401);
    const { rows } = await api.pg.query(`SELECT count(*)::int AS n FROM events WHERE type = 'session.refreshed' AND data->>'userId' = $1`, [user.userId]);
    expect(rows[0].n).toBe(0);
  });

  it('refuses a disabled user and a user without web access, only after a right password', async () => {
    const repository = api.app.get(AggregateRepository);
    const disabled = await signUp(api.http);
    await repository.update(User, disabled.userId, (u) => u.changeAccess({ enabled: false }));
    const noWeb = await signUp(api.http);
    await repository.update(User, noWeb.userId, (u) => u.changeAccess({ webAccess: false }));

    expect((await api.http.post('/auth/login').send({ login: disabled.email, password: disabled.password }).expect(403)).body.type).toBe('/problems/account-disabled');
    expect((await api.http.post('/auth/login').send({ login: noWeb.email, password: noWeb.password }).expect(403)).body.type).toBe('/problems/web-access-denied');
    // A wrong password reveals nothing about either.
    expect((await api.http.post('/auth/login').send({ login: disabled.email, password: 'wrong password here' }).expect(401)).body.type).toBe('/problems/invalid-credentials');
    expect((await api.http.post('/auth/login').send({ login: noWeb.email, password: 'wrong password here' }).expect(401)).body.type).toBe('/problems/invalid-credentials');
  });

  it('asks which account when the email and password match users in several accounts', async () => {
    const email = `${unique('shared')}@example.com`;
    const a = await signUp(api.http, { email, accountName: 'Alpha' });
    const b = await signUp(api.http, { email, accountName: 'Beta' });
    await signUp(api.http, { email, accountName: 'Gamma', password: 'a different passphrase 42' });

    const res = await api.http.post('/auth/login').send({ login: email, password: GOOD_PASSWORD }).expect(200);
    expect(res.body.status).toBe('account_selection_required');
    expect(res.body.accounts).toEqual(
      expect.arrayContaining([
        { id: a.accountId, name: 'Alpha' },
        { id: b.accountId, name: 'Beta' },
      ]),
    );
    expect(res.body.accounts).toHaveLength(2);

    // An account that was not offered cannot be picked.
    await api.http.post('/auth/sso/select-account').send({ selectionId: res.body.selectionId, accountId: '00000000-0000-4000-8000-000000000000' }).expect(404);
    const picked = await api.http.post('/auth/sso/select-account').send({ selectionId: res.body.selectionId, accountId: b.accountId }).expect(200);
    expect(picked.body.status).toBe('otp_required');
    const code = await codeOf(api, picked.body.challengeId);
    const done = await api.http.post('/auth/otp/verify').send({ challengeId: picked.body.challengeId, code }).expect(200);
    expect(done.body.user).toMatchObject({ id: b.userId, accountId: b.accountId });
    // A selection is used once.
    await api.http.post('/auth/sso/select-account').send({ selectionId: res.body.selectionId, accountId: a.accountId }).expect(404);

    // Only one account matches the other password: no choice to make.
    const other = await api.http.post('/auth/login').send({ login: email, password: 'a different passphrase 42' }).expect(200);
    expect(other.body.status).toBe('otp_required');

    // The device trusted by that login counts after the choice, however it was sent: with the
    // login step only (body, header or cookie), or with the choice itself.
    const choose = async (login: { body?: object; headers?: Record<string, string> }, select: object = {}) => {
      const offered = await api.http.post('/auth/login').set(login.headers ?? {}).send({ login: email, password: GOOD_PASSWORD, ...login.body }).expect(200);
      expect(offered.body.status).toBe('account_selection_required');
      return (await api.http.post('/auth/sso/select-account').send({ selectionId: offered.body.selectionId, accountId: b.accountId, ...select }).expect(200)).body;
    };
    const { deviceToken } = done.body;
    expect((await choose({ body: { deviceToken } })).status).toBe('authenticated');
    expect((await choose({ headers: { 'X-Device-Token': deviceToken } })).status).toBe('authenticated');
    expect((await choose({ headers: { Cookie: `lk_device=${deviceToken}` } })).status).toBe('authenticated');
    expect((await choose({}, { deviceToken })).status).toBe('authenticated');
    // The selection id alone, used from another client, does not bring the device's trust along.
    const elsewhere = await api.http.post('/auth/login').set('User-Agent', 'the user browser').send({ login: email, password: GOOD_PASSWORD, deviceToken }).expect(200);
    const copied = await api.http.post('/auth/sso/select-account').set('User-Agent', 'someone else').send({ selectionId: elsewhere.body.selectionId, accountId: b.accountId }).expect(200);
    expect(copied.body.status).toBe('otp_required');
    // Trusted by the user in B, not by the one in A.
    const offered = await api.http.post('/auth/login').send({ login: email, password: GOOD_PASSWORD, deviceToken }).expect(200);
    expect((await api.http.post('/auth/sso/select-account').send({ selectionId: offered.body.selectionId, accountId: a.accountId }).expect(200)).body.status).toBe('otp_required');
    // The token is in the events only as a hash (a secret field, never shown in an audit).
    const { rows } = await api.pg.query(`SELECT count(*)::int AS n FROM events WHERE data::text LIKE $1`, [`%${deviceToken}%`]);
    expect(rows[0].n).toBe(0);
  });

  it('finds a user who signed up after ten others with their email once a code sent to that email proved it', async () => {
    const email = `${unique('crowded')}@example.com`;
    // Sign-up does not verify emails: ten accounts with this address come first.
    for (let i = 0; i < 10; i++) await signUp(api.http, { email, password: `${GOOD_PASSWORD} but not theirs` });
    const owner = await signUp(api.http, { email });
    // The eleventh user of the address: a login by email checks ten users, the others.
    await api.http.post('/auth/login').send({ login: email, password: GOOD_PASSWORD }).expect(401);
    // By username the code goes to the address, and typing it proves the address is theirs.
    const byUsername = await api.http.post('/auth/login').send({ login: owner.username, password: GOOD_PASSWORD }).expect(200);
    expect(byUsername.body.channel).toBe('email');
    await api.http.post('/auth/otp/verify').send({ challengeId: byUsername.body.challengeId, code: await codeOf(api, byUsername.body.challengeId), trustDevice: false }).expect(200);
    const byEmail = await api.http.post('/auth/login').send({ login: email, password: GOOD_PASSWORD }).expect(200);
    expect(byEmail.body.status).toBe('otp_required');
    const done = await api.http.post('/auth/otp/verify').send({ challengeId: byEmail.body.challengeId, code: await codeOf(api, byEmail.body.challengeId) }).expect(200);
    expect(done.body.user.id).toBe(owner.userId);
  });

  it('never stores the password: events hold an argon2id hash only', async () => {
    const password = `${unique('secret-pass-')} long enough`;
    const user = await signUp(api.http, { password });
    await api.http.post('/auth/login').send({ login: user.email, password }).expect(200);
    await api.http.post('/auth/login').send({ login: user.email, password: `${password}x` }).expect(401);
    const { rows } = await api.pg.query(`SELECT count(*)::int AS n FROM events WHERE data::text LIKE $1 OR metadata::text LIKE $1`, [`%${password}%`]);
    expect(rows[0].n).toBe(0);
    const [changed] = await events(`user-${user.userId}`, 'user.password_changed');
    expect(changed.hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });
});
