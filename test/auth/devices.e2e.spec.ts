import { codeOf, loginWithCode, signUp, startApi, type TestApi } from '@latchkey/testing';

let api: TestApi;

beforeAll(async () => {
  api = await startApi('devices');
});

afterAll(() => api.close());

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function twoFactorReason(challengeId: string): Promise<string> {
  const { rows } = await api.pg.query(`SELECT data->>'reason' AS reason FROM events WHERE stream_id = $1 AND type = 'login.two_factor_required'`, [`login-${challengeId}`]);
  return rows[0].reason;
}

describe('trusted devices', () => {
  it('are listed for their user, with when they were last used', async () => {
    const user = await signUp(api.http);
    const first = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    const verified = await api.http
      .post('/auth/otp/verify')
      .set('User-Agent', 'Firefox/140')
      .send({ challengeId: first.body.challengeId, code: await codeOf(api, first.body.challengeId), deviceName: 'Home PC' })
      .expect(200);
    const tokens = verified.body;
    await api.http.post('/auth/login').send({ login: user.email, password: user.password, deviceToken: tokens.deviceToken }).expect(200);
    const list = await api.http.get('/auth/me/devices').set(bearer(tokens.accessToken)).expect(200);
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toEqual({
      id: expect.any(String),
      name: 'Home PC',
      userAgent: 'Firefox/140',
      ip: expect.any(String),
      authorizedAt: expect.any(String),
      lastUsedAt: expect.any(String),
      expiresAt: expect.any(String),
    });
    expect(new Date(list.body[0].lastUsedAt).getTime()).toBeGreaterThanOrEqual(new Date(list.body[0].authorizedAt).getTime());
    const days = (new Date(list.body[0].expiresAt).getTime() - new Date(list.body[0].authorizedAt).getTime()) / 86_400_000;
    expect(Math.round(days)).toBe(90);
  });

  it('need a code again once revoked', async () => {
    const user = await signUp(api.http);
    const tokens = await loginWithCode(api, user);
    const [device] = (await api.http.get('/auth/me/devices').set(bearer(tokens.accessToken)).expect(200)).body;
    await api.http.delete(`/auth/me/devices/${device.id}`).set(bearer(tokens.accessToken)).expect(204);
    expect((await api.http.get('/auth/me/devices').set(bearer(tokens.accessToken)).expect(200)).body).toEqual([]);
    const res = await api.http.post('/auth/login').send({ login: user.email, password: user.password, deviceToken: tokens.deviceToken }).expect(200);
    expect(res.body.status).toBe('otp_required');
    expect(await twoFactorReason(res.body.challengeId)).toBe('device_revoked');
    // Revoking it again, or a device that is not theirs, is "not found".
    await api.http.delete(`/auth/me/devices/${device.id}`).set(bearer(tokens.accessToken)).expect(404);
  });

  it("cannot be seen or revoked by another user", async () => {
    const owner = await signUp(api.http);
    const other = await signUp(api.http);
    const ownerTokens = await loginWithCode(api, owner);
    const otherTokens = await loginWithCode(api, other);
    const [device] = (await api.http.get('/auth/me/devices').set(bearer(ownerTokens.accessToken)).expect(200)).body;
    const res = await api.http.delete(`/auth/me/devices/${device.id}`).set(bearer(otherTokens.accessToken)).expect(404);
    expect(res.body.type).toBe('/problems/not-found');
    const malformed = await api.http.delete('/auth/me/devices/not-a-uuid').set(bearer(otherTokens.accessToken)).expect(404);
    expect(malformed.body).toEqual({ ...res.body, traceId: malformed.body.traceId });
    const still = await api.http.post('/auth/login').send({ login: owner.email, password: owner.password, deviceToken: ownerTokens.deviceToken }).expect(200);
    expect(still.body.status).toBe('authenticated');
  });

  it('need a code again after DEVICE_TRUST_DAYS', async () => {
    const user = await signUp(api.http);
    const tokens = await loginWithCode(api, user);
    api.clock.advance(89 * 86_400);
    const inTime = await api.http.post('/auth/login').send({ login: user.email, password: user.password, deviceToken: tokens.deviceToken }).expect(200);
    expect(inTime.body.status).toBe('authenticated');
    api.clock.advance(2 * 86_400);
    const late = await api.http.post('/auth/login').send({ login: user.email, password: user.password, deviceToken: tokens.deviceToken }).expect(200);
    expect(late.body.status).toBe('otp_required');
    expect(await twoFactorReason(late.body.challengeId)).toBe('device_expired');
    // Proving the device again gives it a new token and a new trust period.
    const again = await api.http.post('/auth/otp/verify').send({ challengeId: late.body.challengeId, code: await codeOf(api, late.body.challengeId) }).expect(200);
    expect(again.body.deviceToken).not.toBe(tokens.deviceToken);
  });
});
