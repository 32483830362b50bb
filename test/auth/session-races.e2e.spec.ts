import { SecretBox } from '@latchkey/security';
import { codeOf, GOOD_PASSWORD, loginWithCode, signUp, startApi, unique, type SignedUp, type TestApi } from '@latchkey/testing';

/**
 * A change that ends a user's sessions (a new password, disabled, web access removed) must also
 * end the sessions of logins that checked the user just before it and committed just after its
 * revocations — found by a concurrency probe in the eighth session: 8 logins sent with a reset
 * kept working sessions in 15 of 20 runs, and logins sent with a disable came back to life when
 * the user was enabled again.
 */
let api: TestApi;

beforeAll(async () => {
  api = await startApi('session_races', { PASSWORD_HASH_CONCURRENCY: '32' });
});

afterAll(() => api.close());

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The newest reset (or invitation) token of a user, as the email worker would send it. */
async function latestResetToken(userId: string, after = 0): Promise<string> {
  let rows: { data: { sealed: string; resetId: string } }[] = [];
  // A forgot-password request answers 202 before its work is done (the same time whether or not the user exists).
  for (let tries = 0; rows.length === 0 && tries < 100; tries++) {
    if (tries > 0) await new Promise((r) => setTimeout(r, 50));
    ({ rows } = await api.pg.query(`SELECT data FROM events WHERE type = 'reset.requested' AND data->>'userId' = $1 AND global_position > $2 ORDER BY global_position DESC LIMIT 1`, [userId, after]));
  }
  return (JSON.parse(new SecretBox(api.config.encryptionKeys!).decrypt(rows[0].data.sealed, rows[0].data.resetId)) as { token: string }).token;
}

async function resetToken(user: SignedUp): Promise<string> {
  const { rows } = await api.pg.query<{ head: string }>(`SELECT coalesce(max(global_position), 0) AS head FROM events`);
  await api.http.post('/auth/password/forgot').send({ login: user.username }).expect(202);
  return latestResetToken(user.userId, Number(rows[0].head));
}

/** A user whose device is trusted: their password logins authenticate without a code. */
async function trustedUser(): Promise<{ user: SignedUp; deviceToken: string; admin: string }> {
  const user = await signUp(api.http);
  const first = await loginWithCode(api, user);
  return { user, deviceToken: first.deviceToken!, admin: first.accessToken };
}

/** Sends `logins` password logins together with `change`; the sessions the logins got. */
async function race(user: SignedUp, deviceToken: string, change: () => Promise<unknown>, logins = 8) {
  const [results] = await Promise.all([
    Promise.all(Array.from({ length: logins }, (_, i) => api.http.post('/auth/login').set('X-Forwarded-For', `198.18.0.${i + 1}`).send({ login: user.username, password: user.password, deviceToken }))),
    change(),
  ]);
  return results.filter((r) => r.status === 200 && r.body.status === 'authenticated').map((r) => r.body as { accessToken: string; refreshToken: string });
}

async function usable(session: { accessToken: string; refreshToken: string }): Promise<boolean> {
  const me = await api.http.get('/auth/me').set(bearer(session.accessToken));
  const refreshed = await api.http.post('/auth/token/refresh').send({ refreshToken: session.refreshToken });
  return me.status === 200 || refreshed.status === 200;
}

describe('changes that end sessions, racing logins', () => {
  it('a password reset leaves no session of a login that checked the old password', async () => {
    for (let run = 0; run < 5; run++) {
      const { user, deviceToken } = await trustedUser();
      const token = await resetToken(user);
      const sessions = await race(user, deviceToken, () => api.http.post('/auth/password/reset').send({ token, newPassword: `${GOOD_PASSWORD} ${run}` }).expect(204));
      for (const session of sessions) expect(await usable(session)).toBe(false);
    }
  });

  it('disabling (or taking web access away) leaves no session that comes back when access is given back', async () => {
    const admin = await trustedUser();
    for (const [off, on] of [
      [{ enabled: false }, { enabled: true }],
      [{ webAccess: false }, { webAccess: true }],
    ]) {
      for (let run = 0; run < 3; run++) {
        const member = await invitedMember(admin.admin);
        const change = (body: Record<string, boolean>) => api.http.patch(`/admin/users/${member.user.userId}`).set(bearer(admin.admin)).send(body).expect(200);
        const sessions = await race(member.user, member.deviceToken, () => change(off));
        await change(on);
        for (const session of sessions) expect(await usable(session)).toBe(false);
        // A login after access is back works.
        const after = await api.http.post('/auth/login').send({ login: member.user.username, password: member.user.password, deviceToken: member.deviceToken }).expect(200);
        expect(await usable(after.body)).toBe(true);
      }
    }
  });

  it('a code sent before a reset no longer logs in after it', async () => {
    const user = await signUp(api.http);
    const token = await resetToken(user);
    const challenge = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    expect(challenge.body.status).toBe('otp_required');
    await api.http.post('/auth/password/reset').send({ token, newPassword: `${GOOD_PASSWORD} anew` }).expect(204);
    const code = await codeOf(api, challenge.body.challengeId);
    const refused = await api.http.post('/auth/otp/verify').send({ challengeId: challenge.body.challengeId, code }).expect(410);
    expect(refused.body.type).toBe('/problems/otp-expired');
    const { rows } = await api.pg.query(`SELECT count(*)::int AS n FROM events WHERE type = 'session.started' AND data->>'loginId' = $1`, [challenge.body.challengeId]);
    expect(rows[0].n).toBe(0);
  });

  it('an account choice offered before a reset no longer logs in after it', async () => {
    const email = `both.${Date.now().toString(36)}@example.com`;
    const first = await signUp(api.http, { email });
    await signUp(api.http, { email });
    const token = await resetToken(first);
    const choice = await api.http.post('/auth/login').send({ login: email, password: GOOD_PASSWORD }).expect(200);
    expect(choice.body.status).toBe('account_selection_required');
    await api.http.post('/auth/password/reset').send({ token, newPassword: `${GOOD_PASSWORD} anew` }).expect(204);
    await api.http.post('/auth/sso/select-account').send({ selectionId: choice.body.selectionId, accountId: first.accountId }).expect(404);
  });
});

/** A member the admin invited, with their password set and their device trusted. */
async function invitedMember(adminToken: string): Promise<{ user: SignedUp; deviceToken: string }> {
  const username = unique('member');
  const created = await api.http.post('/admin/users').set(bearer(adminToken)).send({ email: `${username}@example.com`, username }).expect(201);
  await api.http.post('/auth/password/reset').send({ token: await latestResetToken(created.body.id), newPassword: GOOD_PASSWORD }).expect(204);
  const user: SignedUp = { accountId: created.body.accountId, userId: created.body.id, email: created.body.email, username, password: GOOD_PASSWORD };
  return { user, deviceToken: (await loginWithCode(api, user)).deviceToken! };
}
