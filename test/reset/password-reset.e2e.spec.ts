import { SesPeer } from '../peers/ses.peer';
import {
  GOOD_PASSWORD,
  builtEntry,
  codeOf,
  freePort,
  loginWithCode,
  runNode,
  signUp,
  startApi,
  testEnvironment,
  unique,
  waitForStatus,
  type RunningProcess,
  type TestApi,
} from '@latchkey/testing';

/** "Forgot your password?", admin resets and invitations, through the real worker and a SES peer. */
const LABEL = 'reset';
const WEB = 'https://app.latchkey.test';
let api: TestApi;
let ses: SesPeer;
let worker: RunningProcess;

function env(): Record<string, string> {
  return {
    EMAIL_PROVIDER: 'ses',
    AWS_REGION: 'eu-west-1',
    SES_ENDPOINT: ses.url,
    EMAIL_FROM: 'no-reply@latchkey.test',
    PUBLIC_WEB_URL: WEB,
  };
}

beforeAll(async () => {
  ses = await SesPeer.start();
  api = await startApi(LABEL, env());
  const port = await freePort();
  worker = runNode(
    builtEntry('apps/worker/src/main.js'),
    testEnvironment(api.database.url, LABEL, { ...env(), AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', WORKER_PORT: String(port), LOG_LEVEL: 'info' }),
  );
  expect(await waitForStatus(`http://127.0.0.1:${port}/health/live`, 200, 20_000)).toBe(200);
});

afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await ses?.stop();
});

/** Reset and invitation emails to `email` (codes for logins go to the same inbox). */
async function mailsTo(email: string): Promise<{ subject: string; body: { text?: string; html?: string } }[]> {
  return (await ses.emails()).filter((m) => m.destination.to.includes(email) && /(reset|set)-password\?token=/.test(m.body.text ?? ''));
}

async function waitForMail(email: string, count = 1) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const mails = await mailsTo(email);
    if (mails.length >= count) return mails;
    if (Date.now() > deadline) throw new Error(`no email for ${email}; worker said:\n${worker.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function tokenFrom(mail: { body: { text?: string } }, path: 'reset-password' | 'set-password'): string {
  const match = new RegExp(`${WEB.replace(/[.]/g, '\\.')}/${path}\\?token=([A-Za-z0-9_%-]+)`).exec(mail.body.text ?? '');
  if (!match) throw new Error(`no ${path} link in: ${mail.body.text}`);
  return decodeURIComponent(match[1]);
}

describe('forgot password', () => {
  it('tells the user by email that their password was changed', async () => {
    const user = await signUp(api.http, { locale: 'hr' });
    await api.http.post('/auth/password/forgot').send({ login: user.email }).expect(202);
    const token = tokenFrom((await waitForMail(user.email))[0], 'reset-password');
    await api.http.post('/auth/password/reset').send({ token, newPassword: 'a brand new passphrase 77' }).expect(204);
    const deadline = Date.now() + 20_000;
    let notices: { subject: string; body: { text?: string } }[] = [];
    while (notices.length === 0 && Date.now() < deadline) {
      notices = (await ses.emails()).filter((m) => m.destination.to.includes(user.email) && !/(reset|set)-password\?token=/.test(m.body.text ?? ''));
      if (notices.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(notices.map((n) => n.subject)).toEqual(['Vaša lozinka je promijenjena']);
    expect(notices[0].body.text).not.toContain('brand new');
  });

  it("writes the email in the language of the page it was asked on, without changing the user's", async () => {
    const user = await signUp(api.http, { locale: 'de' });
    await api.http.post('/auth/password/forgot').send({ login: user.email, locale: 'hr-HR' }).expect(202);
    const [mail] = await waitForMail(user.email);
    expect(mail.subject).toBe('Ponovno postavljanje lozinke');
    const tokens = await loginWithCode(api, user);
    expect((await api.http.get('/auth/me').set('Authorization', `Bearer ${tokens.accessToken}`).expect(200)).body.locale).toBe('de');
  });

  it('emails a link in the user language that sets a new password once, ends every session, and keeps the new-device code', async () => {
    const user = await signUp(api.http, { locale: 'de' });
    const tokens = await loginWithCode(api, user);
    await api.http.post('/auth/password/forgot').send({ login: user.username }).expect(202);
    const [mail] = await waitForMail(user.email);
    expect(mail.subject).toMatch(/Passwort/);
    expect(mail.body.html).toContain(`${WEB}/reset-password?token=`);
    // It names the account (an email can be a user's in several; each gets its own link).
    expect(mail.body.text).toContain(`Dieser Link gilt für Ihren Zugang im Konto „Account of ${user.username}“.`);
    const token = tokenFrom(mail, 'reset-password');

    const newPassword = 'a brand new passphrase 77';
    await api.http.post('/auth/password/reset').send({ token, newPassword }).expect(204);
    // Used once: the second use is refused like any bad link.
    const again = await api.http.post('/auth/password/reset').send({ token, newPassword: 'yet another passphrase 88' }).expect(400);
    expect(again.body.type).toBe('/problems/invalid-reset-token');

    // Every session ended; the old password is gone.
    await api.http.get('/auth/me').set('Authorization', `Bearer ${tokens.accessToken}`).expect(401);
    await api.http.post('/auth/token/refresh').send({ refreshToken: tokens.refreshToken }).expect(401);
    await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(401);
    // The reset logs nobody in and does not skip the code on a new device.
    const login = await api.http.post('/auth/login').send({ login: user.email, password: newPassword }).expect(200);
    expect(login.body.status).toBe('otp_required');
    await api.http.post('/auth/otp/verify').send({ challengeId: login.body.challengeId, code: await codeOf(api, login.body.challengeId) }).expect(200);
  });

  it('refuses an expired link and a superseded link with the same answer as an unknown one', async () => {
    const user = await signUp(api.http);
    await api.http.post('/auth/password/forgot').send({ login: user.email }).expect(202);
    const first = tokenFrom((await waitForMail(user.email, 1))[0], 'reset-password');
    await api.http.post('/auth/password/forgot').send({ login: user.email }).expect(202);
    const second = (await waitForMail(user.email, 2)).map((m) => tokenFrom(m, 'reset-password')).find((t) => t !== first)!;
    const bodies = [];
    bodies.push((await api.http.post('/auth/password/reset').send({ token: first, newPassword: 'superseded passphrase 1' }).expect(400)).body);
    bodies.push((await api.http.post('/auth/password/reset').send({ token: 'not-a-real-token-at-all', newPassword: 'unknown passphrase 2' }).expect(400)).body);
    api.clock.advance(3601);
    bodies.push((await api.http.post('/auth/password/reset').send({ token: second, newPassword: 'expired passphrase 3' }).expect(400)).body);
    const strip = ({ traceId: _t, ...rest }: Record<string, unknown>) => rest;
    expect(strip(bodies[0])).toEqual(strip(bodies[1]));
    expect(strip(bodies[2])).toEqual(strip(bodies[1]));
  });

  it('refuses a weak new password with 422 and keeps the link usable', async () => {
    const user = await signUp(api.http);
    await api.http.post('/auth/password/forgot').send({ login: user.email }).expect(202);
    const token = tokenFrom((await waitForMail(user.email))[0], 'reset-password');
    const weak = await api.http.post('/auth/password/reset').send({ token, newPassword: 'password123' }).expect(422);
    expect(weak.body.type).toBe('/problems/weak-password');
    const long = await api.http.post('/auth/password/reset').send({ token, newPassword: 'long '.repeat(10_000) }).expect(422);
    expect(long.body.reasons).toContain('too_long');
    await api.http.post('/auth/password/reset').send({ token, newPassword: 'a strong replacement 99' }).expect(204);
  });

  it('answers 202 for an unknown login and sends nothing', async () => {
    const ghost = `${unique('ghost')}@example.com`;
    await api.http.post('/auth/password/forgot').send({ login: ghost }).expect(202);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await mailsTo(ghost)).toEqual([]);
  });

  it('sends at most 3 emails to one user per hour, however many requests come (still 202)', async () => {
    const user = await signUp(api.http);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => api.http.post('/auth/password/forgot').set('X-Forwarded-For', `192.0.2.${(i % 40) + 1}`).send({ login: user.email })),
    );
    expect(answers.every((a) => a.status === 202)).toBe(true);
    await waitForMail(user.email, 3);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await mailsTo(user.email)).toHaveLength(3);
    const { rows } = await api.pg.query(`SELECT count(*)::int AS n FROM events WHERE type = 'reset.delivery_blocked' AND data->>'userId' = $1`, [user.userId]);
    expect(rows[0].n).toBe(47);
  });

  it('refuses more than 20 requests per hour from one IP with 429', async () => {
    const ip = '198.51.100.77';
    for (let i = 0; i < 20; i++) await api.http.post('/auth/password/forgot').set('X-Forwarded-For', ip).send({ login: `${unique('x')}@example.com` }).expect(202);
    const refused = await api.http.post('/auth/password/forgot').set('X-Forwarded-For', ip).send({ login: 'anyone@example.com' }).expect(429);
    expect(refused.body.type).toBe('/problems/rate-limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('admin reset and invitations', () => {
  it('lets an account admin send the reset email to a user of their account only', async () => {
    const admin = await signUp(api.http);
    const adminTokens = await loginWithCode(api, admin);
    const bearer = { Authorization: `Bearer ${adminTokens.accessToken}` };
    const created = await api.http.post('/admin/users').set(bearer).send({ email: `${unique('member')}@example.com`, username: unique('member'), locale: 'es' }).expect(201);
    expect(created.body).toMatchObject({ accountId: admin.accountId, roles: ['member'], enabled: true, locale: 'es' });

    // The invitation: a set-password link, 72 hours, in the user's language.
    const [invitation] = await waitForMail(created.body.email);
    expect(invitation.body.text).toContain(`${WEB}/set-password?token=`);
    const invitationToken = tokenFrom(invitation, 'set-password');
    await api.http.post('/auth/password/reset').send({ token: invitationToken, newPassword: GOOD_PASSWORD }).expect(204);
    const memberLogin = await api.http.post('/auth/login').send({ login: created.body.username, password: GOOD_PASSWORD }).expect(200);
    expect(memberLogin.body.status).toBe('otp_required');

    await api.http.post(`/admin/users/${created.body.id}/password-reset`).set(bearer).expect(202);
    const mails = await waitForMail(created.body.email, 2);
    expect(mails.some((m) => m.body.text?.includes(`${WEB}/reset-password?token=`))).toBe(true);
    const { rows } = await api.pg.query(
      `SELECT data, metadata FROM events WHERE type = 'reset.requested' AND data->>'userId' = $1 ORDER BY global_position`,
      [created.body.id],
    );
    expect(rows.map((r) => r.data.initiatedBy)).toEqual(['invitation', 'admin']);
    expect(rows[1].data.adminId).toBe(admin.userId);
    expect(rows[1].metadata.actor).toEqual({ type: 'admin', id: admin.userId });

    // Another account's user is "not found"; a member is "forbidden".
    const stranger = await signUp(api.http);
    const foreign = await api.http.post(`/admin/users/${stranger.userId}/password-reset`).set(bearer).expect(404);
    expect(foreign.body.type).toBe('/problems/not-found');
    const memberCode = await codeOf(api, memberLogin.body.challengeId);
    const memberTokens = (await api.http.post('/auth/otp/verify').send({ challengeId: memberLogin.body.challengeId, code: memberCode }).expect(200)).body;
    const forbidden = await api.http.post(`/admin/users/${admin.userId}/password-reset`).set('Authorization', `Bearer ${memberTokens.accessToken}`).expect(403);
    expect(forbidden.body.type).toBe('/problems/forbidden');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await mailsTo(stranger.email)).toEqual([]);
  });

  it("sends an admin's reset even past the user's hourly allowance, without using it up", async () => {
    const admin = await signUp(api.http);
    const bearer = { Authorization: `Bearer ${(await loginWithCode(api, admin)).accessToken}` };
    const invite = async () => (await api.http.post('/admin/users').set(bearer).send({ email: `${unique('capped')}@example.com`, username: unique('capped') }).expect(201)).body;
    // Four admin resets: all sent (with the invitation, five emails), and the user's own request still goes out.
    const member = await invite();
    for (let i = 0; i < 4; i++) await api.http.post(`/admin/users/${member.id}/password-reset`).set(bearer).expect(202);
    await waitForMail(member.email, 5);
    await api.http.post('/auth/password/forgot').set('X-Forwarded-For', '203.0.113.50').send({ login: member.username }).expect(202);
    await waitForMail(member.email, 6);
    // A user who used up their allowance (three of four requests sent) still gets the admin's reset.
    const spent = await invite();
    for (let i = 0; i < 4; i++) await api.http.post('/auth/password/forgot').set('X-Forwarded-For', '203.0.113.50').send({ login: spent.username }).expect(202);
    await waitForMail(spent.email, 4);
    await api.http.post(`/admin/users/${spent.id}/password-reset`).set(bearer).expect(202);
    await waitForMail(spent.email, 5);
    const { rows } = await api.pg.query(`SELECT count(*)::int AS n FROM events WHERE type = 'reset.delivery_blocked' AND data->>'userId' = $1`, [member.id]);
    expect(rows[0].n).toBe(0);
  });

  it("caps an admin's resets at 5 per user per hour, telling the admin when to try again", async () => {
    const admin = await signUp(api.http);
    const bearer = { Authorization: `Bearer ${(await loginWithCode(api, admin)).accessToken}` };
    const member = (await api.http.post('/admin/users').set(bearer).send({ email: `${unique('flood')}@example.com`, username: unique('flood') }).expect(201)).body;
    for (let i = 0; i < 5; i++) await api.http.post(`/admin/users/${member.id}/password-reset`).set(bearer).expect(202);
    const sixth = await api.http.post(`/admin/users/${member.id}/password-reset`).set(bearer).expect(429);
    expect(sixth.body.type).toBe('/problems/rate-limited');
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(3000);
    // The invitation and five resets went out; the sixth was not recorded, let alone sent.
    await waitForMail(member.email, 6);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await mailsTo(member.email)).toHaveLength(6);
    const { rows } = await api.pg.query(`SELECT count(*)::int AS n FROM events WHERE type = 'reset.requested' AND data->>'userId' = $1`, [member.id]);
    expect(rows[0].n).toBe(6);
    // Another user of the account is not held back by it.
    const other = (await api.http.post('/admin/users').set(bearer).send({ email: `${unique('other')}@example.com`, username: unique('other') }).expect(201)).body;
    await api.http.post(`/admin/users/${other.id}/password-reset`).set(bearer).expect(202);
  });

  it('expires an invitation after 72 hours', async () => {
    const admin = await signUp(api.http);
    const { accessToken } = await loginWithCode(api, admin);
    const created = await api.http
      .post('/admin/users')
      .set('Authorization', `Bearer ${accessToken}`)
      .send({ email: `${unique('late')}@example.com`, username: unique('late') })
      .expect(201);
    const token = tokenFrom((await waitForMail(created.body.email))[0], 'set-password');
    api.clock.advance(72 * 3600 + 1);
    await api.http.post('/auth/password/reset').send({ token, newPassword: GOOD_PASSWORD }).expect(400);
  });
});

describe('an email address signed up by others', () => {
  it('does not hide the user who proved it: login and forgot-password by email reach them before ten earlier sign-ups', async () => {
    const email = `${unique('squatted')}@example.com`;
    // Sign-up does not verify emails: someone signs up ten accounts with this address first
    // (a login by email checks at most ten users), then the address's owner is invited.
    for (let i = 0; i < 10; i++) await signUp(api.http, { email, password: `${GOOD_PASSWORD}-not-theirs` });
    const admin = await signUp(api.http);
    const bearer = { Authorization: `Bearer ${(await loginWithCode(api, admin)).accessToken}` };
    const invited = (await api.http.post('/admin/users').set(bearer).send({ email, username: unique('invited') }).expect(201)).body;
    const invitation = (await waitForMail(email)).find((m) => m.body.text?.includes('/set-password?token='))!;
    await api.http.post('/auth/password/reset').send({ token: tokenFrom(invitation, 'set-password'), newPassword: GOOD_PASSWORD }).expect(204);

    // The link proved the address: a login by email checks the owner's user first.
    const login = await api.http.post('/auth/login').send({ login: email, password: GOOD_PASSWORD }).expect(200);
    expect(login.body.status).toBe('otp_required');
    const verified = await api.http.post('/auth/otp/verify').send({ challengeId: login.body.challengeId, code: await codeOf(api, login.body.challengeId) }).expect(200);
    expect(verified.body.user.id).toBe(invited.id);

    // And "forgot your password?" by email sends the owner's user a link too.
    await api.http.post('/auth/password/forgot').send({ login: email }).expect(202);
    const deadline = Date.now() + 20_000;
    let requested = 0;
    while (requested === 0 && Date.now() < deadline) {
      const { rows } = await api.pg.query(`SELECT count(*)::int AS n FROM events WHERE type = 'reset.requested' AND data->>'userId' = $1 AND data->>'initiatedBy' = 'self'`, [invited.id]);
      requested = rows[0].n;
      if (requested === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(requested).toBe(1);
  });
});
