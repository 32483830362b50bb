import { createPublicKey, verify } from 'node:crypto';
import { hashesStarted, loginWithCode, signUp, startApi, unique, type TestApi } from '@latchkey/testing';

let api: TestApi;

beforeAll(async () => {
  api = await startApi('sessions');
});

afterAll(() => api.close());

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

function decode(jwt: string) {
  const [header, payload] = jwt.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
  return { header, payload };
}

describe('sessions', () => {
  it('issue access tokens anyone can verify with the published keys', async () => {
    const user = await signUp(api.http);
    const tokens = await loginWithCode(api, user);
    const { header, payload } = decode(tokens.accessToken);
    expect(header).toMatchObject({ alg: 'EdDSA', kid: expect.any(String) });
    expect(payload).toMatchObject({ sub: user.userId, acc: user.accountId, roles: ['account_admin'], sid: expect.any(String) });
    expect(payload.exp - payload.iat).toBe(900);

    const jwks = await api.http.get('/.well-known/jwks.json').expect(200);
    const jwk = jwks.body.keys.find((k: { kid: string }) => k.kid === header.kid);
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    const [h, p, s] = tokens.accessToken.split('.');
    expect(verify(null, Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url'))).toBe(true);
  });

  it('refuse requests without a valid access token', async () => {
    const missing = await api.http.get('/auth/me').expect(401);
    expect(missing.body.type).toBe('/problems/unauthorized');
    await api.http.get('/auth/me').set(bearer('not.a.token')).expect(401);
    const user = await signUp(api.http);
    const { accessToken } = await loginWithCode(api, user);
    const [h, p] = accessToken.split('.');
    const forged = Buffer.from(JSON.stringify({ ...decode(accessToken).payload, roles: ['account_admin', 'member'] })).toString('base64url');
    await api.http.get('/auth/me').set(bearer(`${h}.${forged}.${accessToken.split('.')[2]}`)).expect(401);
    await api.http.get('/auth/me').set(bearer(`${h}.${p}.`)).expect(401);
  });

  it('rotate the refresh token on every use', async () => {
    const user = await signUp(api.http);
    const tokens = await loginWithCode(api, user);
    const refreshed = await api.http.post('/auth/token/refresh').send({ refreshToken: tokens.refreshToken }).expect(200);
    expect(refreshed.body).toMatchObject({ status: 'authenticated', tokenType: 'Bearer', user: { id: user.userId } });
    expect(refreshed.body.refreshToken).not.toBe(tokens.refreshToken);
    // Tokens are never cached on the way (RFC 6749 §5.1).
    expect(refreshed.headers['cache-control']).toBe('no-store');
    expect(decode(refreshed.body.accessToken).payload.sid).toBe(decode(tokens.accessToken).payload.sid);
    await api.http.get('/auth/me').set(bearer(refreshed.body.accessToken)).expect(200);
    const again = await api.http.post('/auth/token/refresh').send({ refreshToken: refreshed.body.refreshToken }).expect(200);
    expect(again.body.refreshToken).not.toBe(refreshed.body.refreshToken);
  });

  it('revoke the whole session when a spent refresh token comes back', async () => {
    const user = await signUp(api.http);
    const tokens = await loginWithCode(api, user);
    const rotated = await api.http.post('/auth/token/refresh').send({ refreshToken: tokens.refreshToken }).expect(200);
    const reuse = await api.http.post('/auth/token/refresh').send({ refreshToken: tokens.refreshToken }).expect(401);
    expect(reuse.body.type).toBe('/problems/invalid-token');
    // The legitimate holder's newer token and access token die with the session.
    await api.http.post('/auth/token/refresh').send({ refreshToken: rotated.body.refreshToken }).expect(401);
    await api.http.get('/auth/me').set(bearer(rotated.body.accessToken)).expect(401);
    const { rows } = await api.pg.query(`SELECT data FROM events WHERE type = 'session.revoked' AND data->>'userId' = $1`, [user.userId]);
    expect(rows.map((r) => r.data.reason)).toEqual(['refresh_token_reuse']);
  });

  it('treat two refreshes racing with one token as reuse: one answer, then the session is gone', async () => {
    const user = await signUp(api.http);
    const tokens = await loginWithCode(api, user);
    const results = await Promise.all(Array.from({ length: 5 }, () => api.http.post('/auth/token/refresh').send({ refreshToken: tokens.refreshToken })));
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(4);
    await api.http.post('/auth/token/refresh').send({ refreshToken: winners[0].body.refreshToken }).expect(401);
    const { rows } = await api.pg.query(`SELECT count(*)::int AS n FROM events WHERE type = 'session.revoked' AND data->>'userId' = $1`, [user.userId]);
    expect(rows[0].n).toBe(1);
  });

  it('end on logout', async () => {
    const user = await signUp(api.http);
    const tokens = await loginWithCode(api, user);
    await api.http.post('/auth/logout').send({ refreshToken: tokens.refreshToken }).expect(204);
    await api.http.post('/auth/token/refresh').send({ refreshToken: tokens.refreshToken }).expect(401);
    await api.http.get('/auth/me').set(bearer(tokens.accessToken)).expect(401);
    // Logging out twice, or with an unknown token, is not an error.
    await api.http.post('/auth/logout').send({ refreshToken: tokens.refreshToken }).expect(204);
    await api.http.post('/auth/logout').send({ refreshToken: 'unknown' }).expect(204);
  });

  it('answer an unknown refresh token with 401 /problems/invalid-token', async () => {
    const res = await api.http.post('/auth/token/refresh').send({ refreshToken: 'x'.repeat(43) }).expect(401);
    expect(res.body.type).toBe('/problems/invalid-token');
  });

  it('expire access tokens after ACCESS_TOKEN_TTL_SECONDS', async () => {
    const user = await signUp(api.http);
    const { accessToken } = await loginWithCode(api, user);
    api.clock.advance(899);
    await api.http.get('/auth/me').set(bearer(accessToken)).expect(200);
    // Past the expiry and the 30 s allowed for clock skew between servers.
    api.clock.advance(40);
    await api.http.get('/auth/me').set(bearer(accessToken)).expect(401);
  });
});

describe('the signed-in user', () => {
  it('reads and changes their preferences', async () => {
    const user = await signUp(api.http);
    const { accessToken } = await loginWithCode(api, user);
    const res = await api.http.patch('/auth/me').set(bearer(accessToken)).send({ locale: 'hr-HR', twoFactorChannel: 'sms', phone: '+385911234567' }).expect(200);
    expect(res.body).toMatchObject({ id: user.userId, locale: 'hr', twoFactorChannel: 'sms', phone: '+385*****67' });
    const bad = await api.http.patch('/auth/me').set(bearer(accessToken)).send({ phone: '091 123 4567' }).expect(400);
    expect(bad.body.errors).toEqual([{ field: 'phone', message: expect.stringContaining('E.164') }]);
    const badChannel = await api.http.patch('/auth/me').set(bearer(accessToken)).send({ twoFactorChannel: 'pigeon' }).expect(400);
    expect(badChannel.body.errors[0].field).toBe('twoFactorChannel');
    const removed = await api.http.patch('/auth/me').set(bearer(accessToken)).send({ phone: null }).expect(200);
    expect(removed.body.phone).toBeNull();
    // Without a phone, the next code goes by email although SMS is preferred.
    const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    expect(login.body.channel).toBe('email');
  });

  it('moves where the codes go (phone, channel) only in a session whose login is recent', async () => {
    const user = await signUp(api.http);
    const tokens = await loginWithCode(api, user);
    await api.http.patch('/auth/me').set(bearer(tokens.accessToken)).send({ phone: '+385911234567' }).expect(200);
    // Sixteen minutes later, on a token the refresh token gave: the session still works…
    api.clock.advance(16 * 60);
    const refreshed = await api.http.post('/auth/token/refresh').send({ refreshToken: tokens.refreshToken }).expect(200);
    const later = bearer(refreshed.body.accessToken);
    await api.http.patch('/auth/me').set(later).send({ locale: 'es', phone: '+385911234567' }).expect(200);
    // …but whoever holds it may not send the codes somewhere else.
    for (const change of [{ phone: '+447911123456' }, { phone: null }, { twoFactorChannel: 'voice' }]) {
      const refused = await api.http.patch('/auth/me').set(later).send(change).expect(403);
      expect(refused.body.type).toBe('/problems/reauthentication-required');
    }
    // Nor through the admin API, for the admin's own codes (the sign-up made this user an admin)…
    const own = await api.http.patch(`/admin/users/${user.userId}`).set(later).send({ phone: '+447911123456' }).expect(403);
    expect(own.body.type).toBe('/problems/reauthentication-required');
    // …while the admin's authority still covers the account's other users.
    const member = await api.http.post('/admin/users').set(later).send({ email: `${unique('member')}@example.com`, username: unique('member') }).expect(201);
    await api.http.patch(`/admin/users/${member.body.id}`).set(later).send({ phone: '+447911123456', twoFactorChannel: 'sms' }).expect(200);
    const me = await api.http.get('/auth/me').set(later).expect(200);
    expect(me.body).toMatchObject({ locale: 'es', phone: '+385*****67', twoFactorChannel: 'email' });
    // A new login may.
    const fresh = await loginWithCode(api, user);
    await api.http.patch('/auth/me').set(bearer(fresh.accessToken)).send({ phone: '+447911123456', twoFactorChannel: 'voice' }).expect(200);
  });

  it("takes the password again, on the session's trusted device, instead of a new login: the session counts as a recent login for 15 minutes", async () => {
    const user = await signUp(api.http);
    const tokens = await loginWithCode(api, user);
    // Another session of the same user, started at the same time from the same device.
    const other = await api.http.post('/auth/login').send({ login: user.username, password: user.password, deviceToken: tokens.deviceToken }).expect(200);
    api.clock.advance(16 * 60);
    const refreshed = await api.http.post('/auth/token/refresh').send({ refreshToken: tokens.refreshToken }).expect(200);
    const later = bearer(refreshed.body.accessToken);
    await api.http.patch('/auth/me').set(later).send({ phone: '+447911123456' }).expect(403);
    // Without the session's trusted device the password is not even asked (a fresh login without a code needs both).
    const deviceless = await api.http.post('/auth/me/reauthenticate').set(later).send({ password: user.password }).expect(403);
    expect(deviceless.body.type).toBe('/problems/reauthentication-required');
    const elsewhere = await loginWithCode(api, user);
    await api.http.post('/auth/me/reauthenticate').set(later).send({ password: user.password, deviceToken: elsewhere.deviceToken }).expect(403);
    // A wrong password: 400, not 401 (the session is fine; a client must not take it for an expired token).
    const wrong = await api.http.post('/auth/me/reauthenticate').set(later).set('X-Device-Token', tokens.deviceToken!).send({ password: 'not my password at all' }).expect(400);
    expect(wrong.body.type).toBe('/problems/wrong-password');
    await api.http.patch('/auth/me').set(later).send({ phone: '+447911123456' }).expect(403);
    await api.http.post('/auth/me/reauthenticate').set(later).send({ password: user.password, deviceToken: tokens.deviceToken }).expect(204);
    await api.http.patch('/auth/me').set(later).send({ phone: '+447911123456' }).expect(200);
    // The other session, as old as this one was, is not vouched for by it.
    const otherLater = await api.http.post('/auth/token/refresh').send({ refreshToken: other.body.refreshToken }).expect(200);
    await api.http.patch('/auth/me').set(bearer(otherLater.body.accessToken)).send({ twoFactorChannel: 'sms' }).expect(403);
    // Sixteen minutes on, the reauthentication is old too.
    api.clock.advance(16 * 60);
    const again = await api.http.post('/auth/token/refresh').send({ refreshToken: refreshed.body.refreshToken }).expect(200);
    await api.http.patch('/auth/me').set(bearer(again.body.accessToken)).send({ twoFactorChannel: 'sms' }).expect(403);
    // Both attempts are in the user's history (the audit shows every identity event); the password is in neither.
    const { rows } = await api.pg.query(`SELECT type, data::text AS data FROM events WHERE type LIKE 'session.reauthenticat%' AND data->>'userId' = $1 ORDER BY global_position`, [user.userId]);
    expect(rows.map((r) => r.type)).toEqual(['session.reauthentication_failed', 'session.reauthenticated']);
    for (const row of rows) expect(row.data).not.toContain(user.password);
  });

  it("counts a wrong password entered again as a login failure of the user's email: when the window is full, 429 without hashing", async () => {
    const user = await signUp(api.http);
    const { accessToken, deviceToken } = await loginWithCode(api, user);
    for (let i = 0; i < 9; i++) await api.http.post('/auth/me/reauthenticate').set(bearer(accessToken)).send({ password: `guess ${i}`, deviceToken }).expect(400);
    await api.http.post('/auth/login').send({ login: user.email, password: 'guess 9' }).expect(401);
    const hashesBefore = await hashesStarted(api);
    const refused = await api.http.post('/auth/me/reauthenticate').set(bearer(accessToken)).send({ password: user.password, deviceToken }).expect(429);
    expect(refused.body.type).toBe('/problems/rate-limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(429);
    expect(await hashesStarted(api)).toBe(hashesBefore);
    const { rows } = await api.pg.query(`SELECT 1 FROM events WHERE type = 'user.locked_out' AND data->>'userId' = $1`, [user.userId]);
    expect(rows).toHaveLength(1);
    // The admin's unlock (the sign-up made this user one) clears it.
    await api.http.post(`/admin/users/${user.userId}/unlock`).set(bearer(accessToken)).expect(204);
    await api.http.post('/auth/me/reauthenticate').set(bearer(accessToken)).send({ password: user.password, deviceToken }).expect(204);
  });

  it('changes the password: every session ends, this one goes on with new tokens, and only the new password works', async () => {
    const user = await signUp(api.http);
    const first = await loginWithCode(api, user);
    const second = await loginWithCode(api, user);
    const newPassword = 'an entirely new passphrase';
    const wrong = await api.http.post('/auth/me/password').set(bearer(first.accessToken)).send({ currentPassword: 'not my password at all', newPassword }).expect(400);
    expect(wrong.body.type).toBe('/problems/wrong-password');
    const weak = await api.http.post('/auth/me/password').set(bearer(first.accessToken)).send({ currentPassword: user.password, newPassword: 'password1' }).expect(422);
    expect(weak.body.type).toBe('/problems/weak-password');
    await api.http.get('/auth/me').set(bearer(first.accessToken)).expect(200);

    const changed = await api.http.post('/auth/me/password').set(bearer(first.accessToken)).send({ currentPassword: user.password, newPassword }).expect(200);
    expect(changed.body).toMatchObject({ status: 'authenticated', accessToken: expect.any(String), refreshToken: expect.any(String), user: { id: user.userId } });
    // Every session of the old password is over, the caller's old tokens included…
    for (const tokens of [first, second]) {
      await api.http.get('/auth/me').set(bearer(tokens.accessToken)).expect(401);
      await api.http.post('/auth/token/refresh').send({ refreshToken: tokens.refreshToken }).expect(401);
    }
    // …and the caller goes on in the new one, as recent a login as the old one was (here: a recent one).
    const refreshed = await api.http.post('/auth/token/refresh').send({ refreshToken: changed.body.refreshToken }).expect(200);
    await api.http.patch('/auth/me').set(bearer(refreshed.body.accessToken)).send({ phone: '+385911234567' }).expect(200);
    // The old password no longer logs in; the new one does, and the device stays trusted.
    await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(401);
    const again = await api.http.post('/auth/login').send({ login: user.email, password: newPassword, deviceToken: first.deviceToken }).expect(200);
    expect(again.body.status).toBe('authenticated');

    const { rows } = await api.pg.query(
      `SELECT type, data FROM events WHERE type IN ('user.password_changed', 'session.revoked', 'session.started') AND data->>'userId' = $1 ORDER BY global_position`,
      [user.userId],
    );
    expect(rows.filter((r) => r.type === 'user.password_changed').map((r) => r.data.via)).toEqual(['signup', 'change']);
    expect(rows.filter((r) => r.type === 'session.revoked').map((r) => r.data.reason)).toEqual(['password_changed', 'password_changed']);
    const continued = rows.find((r) => r.type === 'session.started' && r.data.replaces);
    expect(continued.data).toMatchObject({ method: 'password' });
    expect(continued.data).not.toHaveProperty('loginId');
    expect(JSON.stringify(rows)).not.toContain(newPassword);

    // A password change is no fresh login: in a session whose login is old, the new session is as old.
    api.clock.advance(16 * 60);
    const aged = await api.http.post('/auth/token/refresh').send({ refreshToken: again.body.refreshToken }).expect(200);
    const changedAgain = await api.http.post('/auth/me/password').set(bearer(aged.body.accessToken)).send({ currentPassword: newPassword, newPassword: 'yet another new passphrase' }).expect(200);
    await api.http.patch('/auth/me').set(bearer(changedAgain.body.accessToken)).send({ phone: '+447911123456' }).expect(403);
  });

  it('lists where the user is signed in, and ends a session they do not know', async () => {
    const user = await signUp(api.http);
    const laptop = await loginWithCode(api, user);
    const phone = await loginWithCode(api, user, { trustDevice: false });
    await api.http.post('/auth/logout').send({ refreshToken: (await loginWithCode(api, user, { trustDevice: false })).refreshToken }).expect(204);
    const listed = await api.http.get('/auth/me/sessions').set(bearer(laptop.accessToken)).expect(200);
    // The logged-out session is not there; the laptop's is the current one and names its trusted device.
    expect(listed.body.nextCursor).toBeNull();
    expect(listed.body.items).toHaveLength(2);
    // One page holds them all, so no cursor is one this list gave.
    const cursor = await api.http.get('/auth/me/sessions?cursor=zzz').set(bearer(laptop.accessToken)).expect(400);
    expect(cursor.body).toMatchObject({ type: '/problems/validation', errors: [{ field: 'cursor' }] });
    const mine = listed.body.items.find((s: { current: boolean }) => s.current);
    const other = listed.body.items.find((s: { current: boolean }) => !s.current);
    expect(mine).toMatchObject({ method: 'password', device: { id: expect.any(String) }, startedAt: expect.any(String), lastActiveAt: expect.any(String), expiresAt: expect.any(String) });
    expect(other.device).toBeNull();
    // Ending the phone's session: its tokens stop working at once; the laptop's go on.
    await api.http.delete(`/auth/me/sessions/${other.id}`).set(bearer(laptop.accessToken)).expect(204);
    await api.http.get('/auth/me').set(bearer(phone.accessToken)).expect(401);
    await api.http.post('/auth/token/refresh').send({ refreshToken: phone.refreshToken }).expect(401);
    await api.http.get('/auth/me').set(bearer(laptop.accessToken)).expect(200);
    expect((await api.http.get('/auth/me/sessions').set(bearer(laptop.accessToken)).expect(200)).body.items.map((s: { id: string }) => s.id)).toEqual([mine.id]);
    // Ended already, someone else's, or no session at all: 404.
    await api.http.delete(`/auth/me/sessions/${other.id}`).set(bearer(laptop.accessToken)).expect(404);
    const stranger = await signUp(api.http);
    const strangers = await loginWithCode(api, stranger);
    await api.http.delete(`/auth/me/sessions/${mine.id}`).set(bearer(strangers.accessToken)).expect(404);
    await api.http.get('/auth/me').set(bearer(laptop.accessToken)).expect(200);
    // Its own session, like a logout.
    await api.http.delete(`/auth/me/sessions/${mine.id}`).set(bearer(laptop.accessToken)).expect(204);
    await api.http.get('/auth/me').set(bearer(laptop.accessToken)).expect(401);
    const { rows } = await api.pg.query(`SELECT data->>'reason' AS reason FROM events WHERE type = 'session.revoked' AND data->>'userId' = $1 ORDER BY global_position`, [user.userId]);
    expect(rows.map((r) => r.reason)).toEqual(['logout', 'user', 'user']);
  });

  it('refuses a reauthentication without a valid token, and validates the body', async () => {
    await api.http.post('/auth/me/reauthenticate').send({ password: 'whatever it is' }).expect(401);
    const user = await signUp(api.http);
    const { accessToken } = await loginWithCode(api, user);
    const bad = await api.http.post('/auth/me/reauthenticate').set(bearer(accessToken)).send({}).expect(400);
    expect(bad.body).toMatchObject({ type: '/problems/validation', errors: [{ field: 'password', message: expect.any(String) }] });
  });
});
