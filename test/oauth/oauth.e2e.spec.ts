import { OAuth2Server } from 'oauth2-mock-server';
import { selfSignedCertificate } from '@latchkey/security';
import { codeOf, loginWithCode, signUp, startApi, unique, type TestApi } from '@latchkey/testing';
import { GitHubPeer, type GitHubUser } from '../peers/github.peer';

let api: TestApi;
let google: OAuth2Server;
let github: GitHubPeer;
/** Claims the Google peer puts into the next ID tokens. */
let idClaims: Record<string, unknown> = {};
/** The PKCE verifiers the Google peer's token endpoint received. */
const googleVerifiers: (string | undefined)[] = [];

beforeAll(async () => {
  google = new OAuth2Server();
  await google.issuer.keys.generate('RS256');
  await google.start(0, '127.0.0.1');
  // ID tokens only (access tokens carry a scope): who the user is at "Google".
  google.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }, req: { body: Record<string, string> }) => {
    if ('scope' in token.payload) return;
    Object.assign(token.payload, idClaims);
    googleVerifiers.push(req.body.code_verifier);
  });
  github = await GitHubPeer.start();
  api = await startApi('oauth', {
    PUBLIC_WEB_URL: 'https://app.example.test',
    GOOGLE_CLIENT_ID: 'latchkey-test-client',
    GOOGLE_CLIENT_SECRET: 'google-secret',
    GOOGLE_ISSUER: google.issuer.url!,
    GITHUB_CLIENT_ID: github.clientId,
    GITHUB_CLIENT_SECRET: github.clientSecret,
    GITHUB_URL: github.url,
    GITHUB_API_URL: github.apiUrl,
  });
});

afterAll(async () => {
  await Promise.all([api.close(), google.stop(), github.stop()]);
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const path = (url: string) => new URL(url).pathname + new URL(url).search;

function cookieOf(res: { headers: Record<string, unknown> }, name: string): string {
  const cookie = ((res.headers['set-cookie'] as string[] | undefined) ?? []).find((c) => c.startsWith(`${name}=`));
  if (!cookie) throw new Error(`no ${name} cookie`);
  return cookie.split(';')[0];
}

/** Start → the provider's authorize endpoint → the callback URL it sends the browser back to. */
async function roundTrip(provider: 'google' | 'github', headers: Record<string, string> = {}, query = '') {
  const started = await api.http.get(`/auth/oauth/${provider}${query}`).set(headers).expect(302);
  const authorize = new URL(started.headers.location);
  const back = await fetch(authorize, { redirect: 'manual' });
  expect(back.status).toBe(302);
  return { authorize, callback: path(back.headers.get('location')!), cookie: cookieOf(started, 'lk_login') };
}

async function oauthLogin(provider: 'google' | 'github', expected = 200, headers: Record<string, string> = {}, query = '') {
  const { callback, cookie } = await roundTrip(provider, headers, query);
  return api.http
    .get(callback)
    .set({ Accept: 'application/json', ...headers, Cookie: [cookie, headers.Cookie].filter(Boolean).join('; ') })
    .expect(expected);
}

async function attempts(reason: RegExp) {
  const { rows } = await api.pg.query(`SELECT data FROM events WHERE type = 'login.attempted' AND data->>'outcome' = 'rejected' ORDER BY global_position`);
  return rows.map((r) => r.data).filter((d) => reason.test(d.reason));
}

function githubUser(email: string, verified = true): GitHubUser {
  return { id: Math.floor(Math.random() * 1e9), login: unique('gh'), emails: [{ email: `old.${email}`, primary: false, verified: true }, { email, primary: true, verified }] };
}

describe('Google', () => {
  it('links on the first login by verified email, asks for a code on a new device, then finds the link by subject', async () => {
    const user = await signUp(api.http);
    const subject = unique('g-sub');
    idClaims = { sub: subject, email: user.email.toUpperCase(), email_verified: true };

    const { authorize } = await roundTrip('google');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('state')).toBeTruthy();

    // The secrets of a finished round trip (state, code, PKCE verifier) are in no event and no read model.
    const trip = await roundTrip('google');
    await api.http.get(trip.callback).set({ Accept: 'application/json', Cookie: trip.cookie }).expect(200);
    const callbackParams = new URL(trip.callback, 'http://x').searchParams;
    for (const secret of [callbackParams.get('code')!, callbackParams.get('state')!, googleVerifiers.at(-1)!]) {
      const { rows } = await api.pg.query(`SELECT count(*)::int AS n FROM events WHERE data::text LIKE $1 OR metadata::text LIKE $1`, [`%${secret}%`]);
      expect(rows[0].n).toBe(0);
    }

    const first = await oauthLogin('google');
    expect(first.body.status).toBe('otp_required');
    expect(googleVerifiers.at(-1)).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    // Nothing is linked before the user passed the code: matching an email is not proof enough.
    expect((await api.pg.query(`SELECT 1 FROM read.external_identities WHERE user_id = $1`, [user.userId])).rows).toHaveLength(0);
    const verified = await api.http.post('/auth/otp/verify').send({ challengeId: first.body.challengeId, code: await codeOf(api, first.body.challengeId) }).expect(200);
    expect(verified.body.user.id).toBe(user.userId);
    const identities = await api.http.get('/auth/me/identities').set(bearer(verified.body.accessToken)).expect(200);
    expect(identities.body).toEqual([{ id: expect.any(String), provider: 'google', subject, email: user.email.toUpperCase(), linkedAt: expect.any(String) }]);
    const { rows } = await api.pg.query(`SELECT data FROM events WHERE type = 'user.external_identity_linked' AND data->>'userId' = $1`, [user.userId]);
    expect(rows).toHaveLength(1);

    // The email at Google changed; the subject still finds the user. A trusted device skips the code.
    idClaims = { sub: subject, email: 'someone.new@elsewhere.test', email_verified: true };
    const second = await oauthLogin('google', 200, { 'X-Device-Token': verified.body.deviceToken });
    expect(second.body).toMatchObject({ status: 'authenticated', user: { id: user.userId } });

    // Unlinked: that subject no longer logs in as the user (the new email matches nobody).
    await api.http.delete(`/auth/me/identities/${identities.body[0].id}`).set(bearer(verified.body.accessToken)).expect(204);
    await api.http.delete(`/auth/me/identities/${identities.body[0].id}`).set(bearer(verified.body.accessToken)).expect(404);
    expect((await oauthLogin('google', 403)).body.type).toBe('/problems/no-account');
  });

  it('answers a browser with a redirect and a one-time flow result', async () => {
    const user = await signUp(api.http);
    idClaims = { sub: unique('g-sub'), email: user.email, email_verified: true };
    const { callback, cookie } = await roundTrip('google');
    const res = await api.http.get(callback).set('Cookie', cookie).expect(303);
    const location = new URL(res.headers.location);
    expect(`${location.origin}${location.pathname}`).toBe('https://app.example.test/login/continue');
    const flow = location.searchParams.get('flow')!;
    await api.http.get(`/auth/flows/${flow}`).expect(404);
    expect((await api.http.get(`/auth/flows/${flow}`).set('Cookie', cookie).expect(200)).body.status).toBe('otp_required');
    await api.http.get(`/auth/flows/${flow}`).set('Cookie', cookie).expect(404);
  });

  it('never links an unverified email, and answers no-account when nobody has the email', async () => {
    const user = await signUp(api.http);
    const before = (await attempts(/^email_not_verified$/)).length;
    idClaims = { sub: unique('g-sub'), email: user.email, email_verified: false };
    expect((await oauthLogin('google', 403)).body.type).toBe('/problems/no-account');
    idClaims = { sub: unique('g-sub'), email: user.email };
    expect((await oauthLogin('google', 403)).body.type).toBe('/problems/no-account');
    expect(await attempts(/^email_not_verified$/)).toHaveLength(before + 2);
    idClaims = { sub: unique('g-sub'), email: `${unique('nobody')}@example.com`, email_verified: true };
    expect((await oauthLogin('google', 403)).body.type).toBe('/problems/no-account');
  });

  it('lets the user pick the account when the email is in several, and links to the one picked', async () => {
    const email = `${unique('multi')}@example.com`.toLowerCase();
    const first = await signUp(api.http, { email });
    const second = await signUp(api.http, { email });
    const subject = unique('g-sub');
    idClaims = { sub: subject, email, email_verified: true };
    const choice = await oauthLogin('google');
    expect(choice.body.status).toBe('account_selection_required');
    expect(choice.body.accounts.map((a: { id: string }) => a.id).sort()).toEqual([first.accountId, second.accountId].sort());
    const picked = await api.http.post('/auth/sso/select-account').send({ selectionId: choice.body.selectionId, accountId: second.accountId }).expect(200);
    expect(picked.body.status).toBe('otp_required');
    const linkedTo = async () => (await api.pg.query(`SELECT user_id FROM read.external_identities WHERE provider = 'google' AND subject = $1`, [subject])).rows;
    expect(await linkedTo()).toEqual([]);
    await api.http.post('/auth/otp/verify').send({ challengeId: picked.body.challengeId, code: await codeOf(api, picked.body.challengeId) }).expect(200);
    expect(await linkedTo()).toEqual([{ user_id: second.userId }]);
  });

  it("records a provider's error cut to length without splitting a character", async () => {
    const trip = await roundTrip('google');
    const state = new URL(trip.callback, 'http://x').searchParams.get('state')!;
    // "provider_error: " and 283 letters put the emoji's first half at the 300th place.
    const error = `${'a'.repeat(283)}😀`;
    const callback = `${trip.callback.split('?')[0]}?error=${encodeURIComponent(error)}&state=${encodeURIComponent(state)}`;
    const res = await api.http.get(callback).set({ Accept: 'application/json', Cookie: trip.cookie });
    expect(res.status).toBe(400);
    expect(res.body.type).toBe('/problems/invalid-oauth-callback');
    const [recorded] = (await attempts(/^provider_error: a+$/)).slice(-1);
    expect(recorded.reason).toBe(`provider_error: ${'a'.repeat(283)}`);
  });

  it('refuses a tampered, missing or replayed state, a wrong PKCE verifier, a wrong nonce and another audience', async () => {
    const user = await signUp(api.http);
    idClaims = { sub: unique('g-sub'), email: user.email, email_verified: true };
    const refused = async (callback: string, cookie: string, reason: RegExp) => {
      const before = (await attempts(reason)).length;
      const res = await api.http.get(callback).set({ Accept: 'application/json', Cookie: cookie }).expect(400);
      expect(res.body.type).toBe('/problems/invalid-oauth-callback');
      expect(await attempts(reason)).toHaveLength(before + 1);
      const { rows } = await api.pg.query(`SELECT data FROM events WHERE type = 'login.attempted' ORDER BY global_position DESC LIMIT 1`);
      expect(rows[0].data).toMatchObject({ method: 'google', outcome: 'rejected' });
    };

    const tampered = await roundTrip('google');
    await refused(tampered.callback.replace(/state=[^&]+/, 'state=forged-state-value'), tampered.cookie, /^invalid_state/);
    const missing = await roundTrip('google');
    await refused(missing.callback.replace(/&?state=[^&]+/, ''), missing.cookie, /^invalid_state: missing/);

    const replayed = await roundTrip('google');
    await api.http.get(replayed.callback).set({ Accept: 'application/json', Cookie: replayed.cookie }).expect(200);
    await refused(replayed.callback, replayed.cookie, /^invalid_state/);

    // Code injection: a code obtained in another flow (another PKCE challenge) with this flow's state.
    const victim = await roundTrip('google');
    const attacker = await roundTrip('google');
    const injected = victim.callback.replace(/code=[^&]+/, `code=${new URL(attacker.callback, 'http://x').searchParams.get('code')}`);
    await refused(injected, victim.cookie, /^token_exchange_failed/);

    // Another browser cannot finish this browser's flow (login CSRF), nor can a browser without a mark.
    const foreign = await roundTrip('google');
    await refused(foreign.callback, `lk_login=${'z'.repeat(43)}`, /^browser_mismatch/);
    const unmarked = await roundTrip('google');
    const before = (await attempts(/^browser_mismatch/)).length;
    await api.http.get(unmarked.callback).set({ Accept: 'application/json', 'Sec-Fetch-Mode': 'navigate' }).expect(400);
    expect(await attempts(/^browser_mismatch/)).toHaveLength(before + 1);
    // A program without cookies (not a browser navigation) finishes its own flow.
    const program = await roundTrip('google');
    expect((await api.http.get(program.callback).set('Accept', 'application/json').expect(200)).body.status).toBe('otp_required');

    idClaims = { sub: unique('g-sub'), email: user.email, email_verified: true, nonce: 'not-the-nonce-we-sent' };
    const nonce = await roundTrip('google');
    await refused(nonce.callback, nonce.cookie, /^invalid_id_token: nonce mismatch/);

    idClaims = { sub: unique('g-sub'), email: user.email, email_verified: true, aud: 'some-other-client' };
    const audience = await roundTrip('google');
    await refused(audience.callback, audience.cookie, /^invalid_id_token: aud mismatch/);

    // A token whose payload was changed after signing: the signature is checked against the JWKS.
    idClaims = { sub: unique('g-sub'), email: user.email, email_verified: true };
    google.service.once('beforeResponse', (response: { body: Record<string, string> }) => {
      const [header, payload, signature] = response.body.id_token.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url');
      response.body.id_token = [header, forged, signature].join('.');
    });
    const forged = await roundTrip('google');
    await refused(forged.callback, forged.cookie, /^invalid_id_token: bad signature/);
  });

  it('follows the password rules after the provider: enforced SSO refuses, and links nothing', async () => {
    const user = await signUp(api.http);
    const token = (await loginWithCode(api, user)).accessToken;
    const cert = await selfSignedCertificate('some idp', new Date(), 30);
    await api.http
      .post('/admin/sso-connections')
      .set(bearer(token))
      .send({ identifier: unique('enf'), idpEntityId: 'https://idp.example.test', idpSsoUrl: 'https://idp.example.test/sso', idpCertificate: cert.certificate, enforceSso: true })
      .expect(201);
    idClaims = { sub: unique('g-sub'), email: user.email, email_verified: true };
    expect((await oauthLogin('google', 403)).body.type).toBe('/problems/sso-required');
    // A refused login links nothing.
    const { rows } = await api.pg.query(`SELECT 1 FROM read.external_identities WHERE user_id = $1`, [user.userId]);
    expect(rows).toHaveLength(0);
  });
});

describe('GitHub', () => {
  it('links by the primary verified email from the API, with PKCE, and finds the link next time', async () => {
    const user = await signUp(api.http);
    const account = githubUser(user.email);
    github.nextUser = account;
    // The language picked on the login page travels through the provider and becomes the user's.
    const first = await oauthLogin('github', 200, {}, '?locale=de-AT');
    expect(first.body.status).toBe('otp_required');
    const request = github.tokenRequests.at(-1)!;
    expect(request.code_verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    const tokens = await api.http.post('/auth/otp/verify').send({ challengeId: first.body.challengeId, code: await codeOf(api, first.body.challengeId) }).expect(200);
    const identities = await api.http.get('/auth/me/identities').set(bearer(tokens.body.accessToken)).expect(200);
    expect(identities.body).toEqual([expect.objectContaining({ provider: 'github', subject: String(account.id), email: user.email })]);
    expect((await api.http.get('/auth/me').set(bearer(tokens.body.accessToken)).expect(200)).body.locale).toBe('de');

    github.nextUser = { ...account, emails: [{ email: 'changed@elsewhere.test', primary: true, verified: true }] };
    const again = await oauthLogin('github', 200, { Cookie: `lk_device=${tokens.body.deviceToken}` });
    expect(again.body).toMatchObject({ status: 'authenticated', user: { id: user.userId } });
  });

  it('refuses a tampered state, an injected code (PKCE) and another browser', async () => {
    const user = await signUp(api.http);
    github.nextUser = githubUser(user.email);
    const refused = async (callback: string, cookie: string, reason: RegExp) => {
      const before = (await attempts(reason)).length;
      expect((await api.http.get(callback).set({ Accept: 'application/json', Cookie: cookie }).expect(400)).body.type).toBe('/problems/invalid-oauth-callback');
      const after = await attempts(reason);
      expect(after).toHaveLength(before + 1);
      expect(after.at(-1)).toMatchObject({ method: 'github', outcome: 'rejected' });
    };
    const tampered = await roundTrip('github');
    await refused(tampered.callback.replace(/state=[^&]+/, 'state=forged'), tampered.cookie, /^invalid_state/);
    const victim = await roundTrip('github');
    const attacker = await roundTrip('github');
    const injected = victim.callback.replace(/code=[^&]+/, `code=${new URL(attacker.callback, 'http://x').searchParams.get('code')}`);
    await refused(injected, victim.cookie, /^token_exchange_failed: invalid_grant/);
    const foreign = await roundTrip('github');
    await refused(foreign.callback, `lk_login=${'w'.repeat(43)}`, /^browser_mismatch/);
  });

  it('keeps an outage answer for the browser with its Retry-After', async () => {
    github.nextUser = githubUser(unique('gh-down') + '@example.com');
    github.outages = 1;
    const { callback, cookie } = await roundTrip('github');
    const res = await api.http.get(callback).set('Cookie', cookie).expect(303);
    const flow = new URL(res.headers.location).searchParams.get('flow')!;
    const result = await api.http.get(`/auth/flows/${flow}`).set('Cookie', cookie).expect(503);
    expect(result.body.type).toBe('/problems/unavailable');
    expect(Number(result.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(result.headers['retry-after'])).toBeLessThanOrEqual(5);
  });

  it('refuses an unverified primary email with a rejected attempt', async () => {
    const user = await signUp(api.http);
    github.nextUser = githubUser(user.email, false);
    const before = (await attempts(/^email_not_verified$/)).length;
    expect((await oauthLogin('github', 403)).body.type).toBe('/problems/no-account');
    const after = await attempts(/^email_not_verified$/);
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)).toMatchObject({ method: 'github', outcome: 'rejected' });
  });

  it('keeps the password rules: a user without web access is refused after the provider', async () => {
    const admin = await signUp(api.http);
    const token = (await loginWithCode(api, admin)).accessToken;
    const member = await api.http.post('/admin/users').set(bearer(token)).send({ email: `${unique('m')}@example.com`, username: unique('m'), webAccess: false }).expect(201);
    github.nextUser = githubUser(member.body.email);
    expect((await oauthLogin('github', 403)).body.type).toBe('/problems/web-access-denied');
  });
});

describe('a provider without configuration', () => {
  it('answers 404 provider-not-configured, as does an unknown provider', async () => {
    const bare = await startApi('oauth_none');
    try {
      for (const url of ['/auth/oauth/google', '/auth/oauth/github', '/auth/oauth/github/callback?code=x&state=y', '/auth/oauth/facebook']) {
        const res = await bare.http.get(url).expect(404);
        expect(res.body.type).toBe('/problems/provider-not-configured');
      }
    } finally {
      await bare.close();
    }
  });
});
