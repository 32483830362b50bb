import { GOOD_PASSWORD, codeOf, loginWithCode, signUp, startApi, unique, type SignedUp, type TestApi } from '@latchkey/testing';
import { SamlIdpPeer, formOf, type IdpUser, type ResponseOptions } from '../peers/saml-idp.peer';

let api: TestApi;
let idp: SamlIdpPeer;
let impostor: SamlIdpPeer;

beforeAll(async () => {
  [api, idp, impostor] = await Promise.all([startApi('saml', { PUBLIC_WEB_URL: 'https://app.example.test' }), SamlIdpPeer.start('contoso'), SamlIdpPeer.start('impostor')]);
});

afterAll(async () => {
  await Promise.all([api.close(), idp.stop(), impostor.stop()]);
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const path = (url: string) => new URL(url).pathname + new URL(url).search;
const decode = (base64: string) => Buffer.from(base64, 'base64').toString('utf8');
const encode = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');

interface Tenant {
  admin: SignedUp;
  token: string;
  domain: string;
}

/** An account with its admin logged in, and an email domain of its own. */
async function tenant(): Promise<Tenant> {
  const domain = `${unique('d')}.test`.toLowerCase();
  const admin = await signUp(api.http, { email: `admin@${domain}` });
  return { admin, token: (await loginWithCode(api, admin)).accessToken, domain };
}

async function connect(owner: Tenant, settings: Record<string, unknown> = {}, peer = idp) {
  const identifier = unique('c');
  const res = await api.http
    .post('/admin/sso-connections')
    .set(bearer(owner.token))
    .send({ identifier, idpEntityId: peer.entityId, idpSsoUrl: `${peer.url}/sso`, idpCertificate: peer.credentials.certificate, emailDomains: [owner.domain], ...settings });
  if (res.status !== 201) throw new Error(`connection not created: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; identifier: string; acsUrl: string; entityId: string; loginUrl: string; metadataUrl: string };
}

/** The browser-binding cookie an SP-initiated start sets (what the browser sends back to the ACS). */
function browserCookie(res: { headers: Record<string, unknown> }): string {
  const cookies = (res.headers['set-cookie'] as string[] | undefined) ?? [];
  const cookie = cookies.find((c) => c.startsWith('lk_login='));
  if (!cookie) throw new Error(`no lk_login cookie in ${JSON.stringify(cookies)}`);
  expect(cookie).toMatch(/HttpOnly/i);
  expect(cookie).toMatch(/SameSite=None/i);
  expect(cookie).toMatch(/Secure/i);
  return cookie.split(';')[0];
}

/** Starts at the SP-initiated URL; the IdP checks the AuthnRequest. Returns its id and the browser's cookie. */
async function start(identifier: string, peer = idp): Promise<{ requestId: string; cookie: string }> {
  const metadata = await api.http.get(`/auth/saml/${identifier}/metadata`).expect(200);
  peer.trust(metadata.text);
  const redirect = await api.http.get(`/login/saml/${identifier}/`).expect(302);
  return { requestId: (await peer.parseRequest(redirect.headers.location)).id, cookie: browserCookie(redirect) };
}

function postAcs(identifier: string, samlResponse: string, cookie: string | undefined, json = true, headers: Record<string, string> = {}) {
  const req = api.http.post(`/auth/saml/${identifier}/acs`).type('form').set(headers);
  if (cookie) req.set('Cookie', cookie);
  return (json ? req.set('Accept', 'application/json') : req).send({ SAMLResponse: samlResponse });
}

/** The whole browser round trip: SP-initiated URL → IdP page → its form posted to the ACS. */
async function ssoLogin(identifier: string, user: IdpUser, expected = 200) {
  const metadata = await api.http.get(`/auth/saml/${identifier}/metadata`).expect(200);
  idp.trust(metadata.text);
  const redirect = await api.http.get(`/login/saml/${identifier}/`).expect(302);
  idp.nextUser = user;
  const page = await fetch(redirect.headers.location);
  expect(page.status).toBe(200);
  const form = formOf(await page.text());
  return api.http.post(path(form.action)).type('form').set('Accept', 'application/json').set('Cookie', browserCookie(redirect)).send(form.fields).expect(expected);
}

async function events(type: string, where = 'true', params: unknown[] = []) {
  const { rows } = await api.pg.query(`SELECT data FROM events WHERE type = $1 AND ${where} ORDER BY global_position`, [type, ...params]);
  return rows.map((r) => r.data);
}

describe('SP metadata and SP-initiated requests', () => {
  it('publishes metadata with the entity id, the ACS URL and the signing certificate', async () => {
    const owner = await tenant();
    const connection = await connect(owner);
    const res = await api.http.get(`/auth/saml/${connection.identifier}/metadata`).expect(200);
    expect(res.headers['content-type']).toMatch(/xml/);
    expect(res.text).toContain(`entityID="${connection.entityId}"`);
    expect(res.text).toContain(`Location="${connection.acsUrl}"`);
    expect(res.text).toMatch(/<(ds:)?X509Certificate>[A-Za-z0-9+/=\s]{200,}</);
    expect(res.text).toContain('WantAssertionsSigned="true"');
    await api.http.get('/auth/saml/nobody-has-this/metadata').expect(404);
  });

  it('redirects to the IdP with an AuthnRequest the IdP verifies against the SP certificate', async () => {
    const owner = await tenant();
    const connection = await connect(owner);
    await start(connection.identifier);
    const request = idp.requests.at(-1)!;
    expect(request.issuer).toBe(connection.entityId);
    expect(request.acsUrl).toBe(connection.acsUrl);

    // Any change to the signed parameters breaks the signature.
    const redirect = await api.http.get(`/login/saml/${connection.identifier}`).expect(302);
    const tampered = redirect.headers.location.replace(/Signature=[^&]+/, (s: string) => `${s.slice(0, -6)}AAAAAA`);
    await expect(idp.parseRequest(tampered)).rejects.toBeTruthy();
    // An unknown identifier is an unknown id on each of a connection's public URLs.
    for (const response of [
      await api.http.get('/login/saml/unknown-identifier/'),
      await api.http.get('/auth/saml/unknown-identifier/metadata'),
      await api.http.post('/auth/saml/unknown-identifier/acs').set('Accept', 'application/json').type('form').send({ SAMLResponse: 'x' }),
    ]) {
      expect(response.status).toBe(404);
      expect(response.body.type).toBe('/problems/not-found');
    }
  });
});

describe('discovery', () => {
  it('finds no connection (404), one (redirect to the IdP) or several (identifier_required)', async () => {
    const owner = await tenant();
    const nothing = await api.http.post('/auth/sso/discover').send({ email: `someone@${unique('nodomain')}.test` }).expect(404);
    expect(nothing.body.type).toBe('/problems/sso-not-configured');

    const first = await connect(owner);
    const one = await api.http.post('/auth/sso/discover').send({ email: `new.person@${owner.domain}`, locale: 'hr' }).expect(200);
    expect(one.body).toEqual({ status: 'redirect', redirectUrl: `${first.loginUrl}?locale=hr` });
    // The URL leads on to the IdP with a signed request.
    const onward = await api.http.get(path(one.body.redirectUrl)).expect(302);
    expect(onward.headers.location.startsWith(`${idp.url}/sso?SAMLRequest=`)).toBe(true);

    // A second account lists the same domain: the email now maps to two connections.
    const other = await tenant();
    const second = await connect(other, { emailDomains: [owner.domain] });
    const several = await api.http.post('/auth/sso/discover').send({ email: `new.person@${owner.domain}` }).expect(200);
    expect(several.body).toEqual({ status: 'identifier_required' });
    const chosen = await api.http.post('/auth/sso/discover').send({ email: `new.person@${owner.domain}`, identifier: second.identifier }).expect(200);
    expect(chosen.body.status).toBe('redirect');
    await api.http.post('/auth/sso/discover').send({ email: `new.person@${owner.domain}`, identifier: 'not-one-of-them' }).expect(404);
    expect(first.identifier).not.toBe(second.identifier);

    // An existing user's email maps to the connections serving their account, whatever its domain.
    const elsewhere = `${unique('u')}@elsewhere.test`.toLowerCase();
    await api.http.post('/admin/users').set(bearer(other.token)).send({ email: elsewhere, username: unique('e') }).expect(201);
    const byUser = await api.http.post('/auth/sso/discover').send({ email: elsewhere.toUpperCase() }).expect(200);
    expect(byUser.body).toEqual({ status: 'redirect', redirectUrl: second.loginUrl });
  });
});

describe('logging in through the IdP', () => {
  it('logs an existing user in without a local code, as JSON or through a one-time flow result', async () => {
    const owner = await tenant();
    const connection = await connect(owner);
    const res = await ssoLogin(connection.identifier, { email: owner.admin.email.toUpperCase() });
    expect(res.body.status).toBe('authenticated');
    expect(res.body.user).toMatchObject({ id: owner.admin.userId, accountId: owner.admin.accountId });
    await api.http.get('/auth/me').set(bearer(res.body.accessToken)).expect(200);
    const [succeeded] = await events('login.sso_succeeded', `data->>'connectionId' = $2`, [connection.id]);
    expect(succeeded).toMatchObject({ accountId: owner.admin.accountId, email: owner.admin.email.toLowerCase() });

    // A browser (no Accept: application/json) is sent to the web app with a flow id.
    const browser = await start(connection.identifier);
    const redirected = await postAcs(connection.identifier, await idp.response({ email: owner.admin.email }), browser.cookie, false).expect(303);
    const location = new URL(redirected.headers.location);
    expect(`${location.origin}${location.pathname}`).toBe('https://app.example.test/login/continue');
    const flow = location.searchParams.get('flow')!;
    // Another browser (someone who copied the link) gets nothing, and the result stays for the right one.
    await api.http.get(`/auth/flows/${flow}`).expect(404);
    await api.http.get(`/auth/flows/${flow}`).set('Cookie', `lk_login=${'x'.repeat(43)}`).expect(404);
    const result = await api.http.get(`/auth/flows/${flow}`).set('Cookie', browser.cookie).expect(200);
    expect(result.body).toMatchObject({ status: 'authenticated', user: { id: owner.admin.userId } });
    await api.http.get(`/auth/flows/${flow}`).set('Cookie', browser.cookie).expect(404);

    // A refusal travels the same way.
    const again = await start(connection.identifier);
    const refused = await postAcs(connection.identifier, await idp.response({ email: owner.admin.email }, { audience: 'https://someone-else.test' }), again.cookie, false).expect(303);
    const refusedFlow = new URL(refused.headers.location).searchParams.get('flow')!;
    const problem = await api.http.get(`/auth/flows/${refusedFlow}`).set('Cookie', again.cookie).expect(401);
    expect(problem.headers['content-type']).toMatch(/problem\+json/);
    expect(problem.body.type).toBe('/problems/invalid-saml-response');
  });

  it("takes a response built by samlify's stock template (an outside IdP's shape)", async () => {
    const owner = await tenant();
    const connection = await connect(owner);
    const { requestId } = await start(connection.identifier);
    const res = await postAcs(connection.identifier, await idp.stockResponse(owner.admin.email, requestId), undefined).expect(200);
    expect(res.body).toMatchObject({ status: 'authenticated', user: { id: owner.admin.userId } });
  });

  it('accepts either of two certificates during an IdP certificate rotation', async () => {
    const owner = await tenant();
    const connection = await connect(owner);
    // The IdP's new key (here: the second peer's) is not trusted yet…
    const early = await start(connection.identifier, impostor);
    await postAcs(connection.identifier, await impostor.response({ email: owner.admin.email }, { requestId: early.requestId, issuer: idp.entityId }), early.cookie).expect(401);
    // …until the admin adds its certificate beside the old one; then both sign valid responses.
    await api.http
      .patch(`/admin/sso-connections/${connection.id}`)
      .set(bearer(owner.token))
      .send({ idpCertificates: [idp.credentials.certificate, impostor.credentials.certificate] })
      .expect(200);
    const rotated = await start(connection.identifier, impostor);
    const res = await postAcs(connection.identifier, await impostor.response({ email: owner.admin.email }, { requestId: rotated.requestId, issuer: idp.entityId }), rotated.cookie).expect(200);
    expect(res.body.status).toBe('authenticated');
    expect((await ssoLogin(connection.identifier, { email: owner.admin.email })).body.status).toBe('authenticated');
  });

  it('asks for a code on a new device only when the connection requires it', async () => {
    const owner = await tenant();
    const connection = await connect(owner, { requireOtpOnNewDevice: true });
    const res = await ssoLogin(connection.identifier, { email: owner.admin.email });
    expect(res.body.status).toBe('otp_required');
  });

  it('creates unknown users just in time when allowed, and refuses them otherwise', async () => {
    const owner = await tenant();
    const strict = await connect(owner);
    const stranger = `stranger@${owner.domain}`;
    const refused = await ssoLogin(strict.identifier, { email: stranger }, 403);
    expect(refused.body.type).toBe('/problems/no-account');
    expect(await events('login.sso_rejected', `data->>'connectionId' = $2 AND data->>'reason' = 'no_account'`, [strict.id])).toHaveLength(1);

    await api.http.patch(`/admin/sso-connections/${strict.id}`).set(bearer(owner.token)).send({ autoCreateUsers: true }).expect(200);
    const created = await ssoLogin(strict.identifier, { email: stranger, attributes: { displayName: 'Stranger Danger' } });
    expect(created.body.status).toBe('authenticated');
    expect(created.body.user).toMatchObject({ accountId: owner.admin.accountId, email: stranger, roles: ['member'] });
    const [registered] = await events('user.registered', `data->>'userId' = $2`, [created.body.user.id]);
    expect(registered).toMatchObject({ source: 'sso', name: 'Stranger Danger' });
    const again = await ssoLogin(strict.identifier, { email: stranger });
    expect(again.body.user.id).toBe(created.body.user.id);
    // Such a user has no password: they prove themselves again by logging in again.
    const noPassword = await api.http.post('/auth/me/reauthenticate').set(bearer(created.body.accessToken)).send({ password: GOOD_PASSWORD }).expect(409);
    expect(noPassword.body.type).toBe('/problems/no-password');
    const noChange = await api.http.post('/auth/me/password').set(bearer(created.body.accessToken)).send({ currentPassword: GOOD_PASSWORD, newPassword: 'a password of their own now' }).expect(409);
    expect(noChange.body.type).toBe('/problems/no-password');
  });

  it('enforces SSO: password logins of the account answer 403 sso-required, also one waiting for its code', async () => {
    const owner = await tenant();
    const waiting = await api.http.post('/auth/login').send({ login: owner.admin.email, password: GOOD_PASSWORD }).expect(200);
    expect(waiting.body.status).toBe('otp_required');
    await connect(owner, { enforceSso: true });
    const res = await api.http.post('/auth/login').send({ login: owner.admin.email, password: GOOD_PASSWORD }).expect(403);
    expect(res.body.type).toBe('/problems/sso-required');
    // The code of the login that began before SSO was enforced no longer lets it in.
    const code = await codeOf(api, waiting.body.challengeId);
    const late = await api.http.post('/auth/otp/verify').send({ challengeId: waiting.body.challengeId, code }).expect(403);
    expect(late.body.type).toBe('/problems/sso-required');
    expect(await events('session.started', `data->>'userId' = $2`, [owner.admin.userId])).toHaveLength(1);
    // The session the admin already had takes the local password neither to step up nor to be changed.
    for (const [path, body] of [
      ['/auth/me/reauthenticate', { password: GOOD_PASSWORD }],
      ['/auth/me/password', { currentPassword: GOOD_PASSWORD, newPassword: 'a password the account no longer uses' }],
    ] as const) {
      const refused = await api.http.post(path).set(bearer(owner.token)).send(body).expect(403);
      expect(refused.body.type).toBe('/problems/sso-required');
    }
  });
});

describe('sessions when an account starts enforcing SSO', () => {
  it('ends password sessions at their next refresh, and leaves SSO sessions running', async () => {
    const owner = await tenant();
    const member = await api.http.post('/admin/users').set(bearer(owner.token)).send({ email: `m@${owner.domain}`, username: unique('m') }).expect(201);
    const connection = await connect(owner);
    const bySso = await ssoLogin(connection.identifier, { email: `m@${owner.domain}` });
    expect(bySso.body).toMatchObject({ status: 'authenticated', user: { id: member.body.id } });
    const byPassword = await loginWithCode(api, owner.admin);

    await api.http.patch(`/admin/sso-connections/${connection.id}`).set(bearer(owner.token)).send({ enforceSso: true }).expect(200);
    // The password session gets no new tokens; its access token runs out by itself.
    const refused = await api.http.post('/auth/token/refresh').send({ refreshToken: byPassword.refreshToken }).expect(401);
    expect(refused.body.type).toBe('/problems/invalid-token');
    await api.http.get('/auth/me').set(bearer(byPassword.accessToken)).expect(200);
    // The SSO session goes on.
    const renewed = await api.http.post('/auth/token/refresh').send({ refreshToken: bySso.body.refreshToken }).expect(200);
    await api.http.get('/auth/me').set(bearer(renewed.body.accessToken)).expect(200);

    // With enforcement off again, the password session may renew (nothing ended it).
    await api.http.patch(`/admin/sso-connections/${connection.id}`).set(bearer(owner.token)).send({ enforceSso: false }).expect(200);
    await api.http.post('/auth/token/refresh').send({ refreshToken: byPassword.refreshToken }).expect(200);
  });
});

describe('shared SSO across accounts', () => {
  it('serves an account only once its admin joins, then lets a user in both accounts pick one', async () => {
    const owner = await tenant();
    const sharing = await tenant();
    // Ids in upper case are the same ids (they used to be stored as given, and then named nothing).
    const connection = await connect(owner, { sharedWithAccountIds: [sharing.admin.accountId.toUpperCase()] });
    // The same person exists in both accounts.
    const email = `shared.${unique('p')}@${owner.domain}`.toLowerCase();
    const inOwner = await api.http.post('/admin/users').set(bearer(owner.token)).send({ email, username: unique('so') }).expect(201);
    const inSharing = await api.http.post('/admin/users').set(bearer(sharing.token)).send({ email, username: unique('ss') }).expect(201);

    // Offered but not joined: only the owner's user.
    const before = await ssoLogin(connection.identifier, { email });
    expect(before.body.user.id).toBe(inOwner.body.id);

    const offered = await api.http.get('/admin/sso-connections').set(bearer(sharing.token)).expect(200);
    expect(offered.body.items).toEqual([expect.objectContaining({ id: connection.id, owned: false, joinedAccountIds: [] })]);
    await api.http.patch(`/admin/sso-connections/${connection.id}`).set(bearer(sharing.token)).send({ enforceSso: true }).expect(404);
    await api.http.post(`/admin/sso-connections/${connection.id.toUpperCase()}/join`).set(bearer(sharing.token)).expect(204);
    // The owner lists the same account twice, in both cases: it stays joined, once.
    const relisted = await api.http
      .patch(`/admin/sso-connections/${connection.id}`)
      .set(bearer(owner.token))
      .send({ sharedWithAccountIds: [sharing.admin.accountId.toUpperCase(), sharing.admin.accountId] })
      .expect(200);
    expect(relisted.body).toMatchObject({ sharedWithAccountIds: [sharing.admin.accountId], joinedAccountIds: [sharing.admin.accountId] });

    const choice = await ssoLogin(connection.identifier, { email });
    expect(choice.body.status).toBe('account_selection_required');
    expect(choice.body.accounts.map((a: { id: string }) => a.id).sort()).toEqual([owner.admin.accountId, sharing.admin.accountId].sort());
    const picked = await api.http
      .post('/auth/sso/select-account')
      .send({ selectionId: choice.body.selectionId.toUpperCase(), accountId: sharing.admin.accountId.toUpperCase() })
      .expect(200);
    expect(picked.body).toMatchObject({ status: 'authenticated', user: { id: inSharing.body.id, accountId: sharing.admin.accountId } });

    // enforceSso binds the owner's users only.
    await api.http.patch(`/admin/sso-connections/${connection.id}`).set(bearer(owner.token)).send({ enforceSso: true }).expect(200);
    expect((await api.http.post('/auth/login').send({ login: owner.admin.email, password: GOOD_PASSWORD }).expect(403)).body.type).toBe('/problems/sso-required');
    await api.http.post('/auth/login').send({ login: sharing.admin.email, password: GOOD_PASSWORD }).expect(200);

    // A third account the connection was never offered to cannot join it.
    const outsider = await tenant();
    await api.http.post(`/admin/sso-connections/${connection.id}/join`).set(bearer(outsider.token)).expect(404);
    await api.http.get(`/admin/sso-connections/${connection.id}`).set(bearer(outsider.token)).expect(404);

    // The owner stops sharing: a pending choice of that account fails, and its users no longer match.
    const pending = await ssoLogin(connection.identifier, { email });
    await api.http.patch(`/admin/sso-connections/${connection.id}`).set(bearer(owner.token)).send({ sharedWithAccountIds: [] }).expect(200);
    await api.http.post('/auth/sso/select-account').send({ selectionId: pending.body.selectionId, accountId: sharing.admin.accountId }).expect(404);
    const after = await ssoLogin(connection.identifier, { email });
    expect(after.body.user.id).toBe(inOwner.body.id);
  });
  it('never counts a listing as the other account\'s agreement, even from an admin with the same email', async () => {
    // Emails are not verified: anyone can sign up an account with the email of another
    // account's admin. Listing that account must not let this account's IdP into it.
    const victim = await tenant();
    const member = await api.http.post('/admin/users').set(bearer(victim.token)).send({ email: `staff.${unique('v')}@${victim.domain}`, username: unique('vm') }).expect(201);
    const impostor = await signUp(api.http, { email: victim.admin.email });
    const token = (await loginWithCode(api, { email: impostor.username, password: impostor.password })).accessToken;
    const attacker: Tenant = { admin: impostor, token, domain: victim.domain };
    const connection = await connect(attacker, { sharedWithAccountIds: [victim.admin.accountId] });
    expect((connection as unknown as { joinedAccountIds: string[] }).joinedAccountIds).toEqual([]);
    await api.http.patch(`/admin/sso-connections/${connection.id}`).set(bearer(token)).send({ sharedWithAccountIds: [victim.admin.accountId], enforceSso: false }).expect(200);
    expect((await api.http.get(`/admin/sso-connections/${connection.id}`).set(bearer(token)).expect(200)).body.joinedAccountIds).toEqual([]);

    // The attacker's IdP asserts the victim account's users: none of them is served.
    const asMember = await ssoLogin(connection.identifier, { email: member.body.email }, 403);
    expect(asMember.body.type).toBe('/problems/no-account');
    const asAdmin = await ssoLogin(connection.identifier, { email: victim.admin.email });
    expect(asAdmin.body).toMatchObject({ status: 'authenticated', user: { accountId: impostor.accountId } });
  });
});

describe('group sync with confirmation', () => {
  it('voids a confirmation when the user was disabled (and enabled again) since the IdP vouched for them', async () => {
    const owner = await tenant();
    const connection = await connect(owner, { autoCreateGroups: true });
    const email = `grouped.${unique('g')}@${owner.domain}`.toLowerCase();
    const member = await api.http.post('/admin/users').set(bearer(owner.token)).send({ email, username: unique('g') }).expect(201);
    const asked = await ssoLogin(connection.identifier, { email, attributes: { groups: ['Finance'] } });
    expect(asked.body.status).toBe('groups_confirmation_required');
    await api.http.patch(`/admin/users/${member.body.id}`).set(bearer(owner.token)).send({ enabled: false }).expect(200);
    await api.http.patch(`/admin/users/${member.body.id}`).set(bearer(owner.token)).send({ enabled: true }).expect(200);
    await api.http.post('/auth/sso/confirm-groups').send({ confirmationId: asked.body.confirmationId }).expect(404);
    // A new login asks again, and its confirmation goes through.
    const again = await ssoLogin(connection.identifier, { email, attributes: { groups: ['Finance'] } });
    expect((await api.http.post('/auth/sso/confirm-groups').send({ confirmationId: again.body.confirmationId }).expect(200)).body.status).toBe('authenticated');

    // Disabled and left so: the same 403 a login would get, and no group change.
    const more = await ssoLogin(connection.identifier, { email, attributes: { groups: ['Finance', 'Legal'] } });
    expect(more.body).toMatchObject({ status: 'groups_confirmation_required', added: ['Legal'] });
    await api.http.patch(`/admin/users/${member.body.id}`).set(bearer(owner.token)).send({ enabled: false }).expect(200);
    const refused = await api.http.post('/auth/sso/confirm-groups').send({ confirmationId: more.body.confirmationId }).expect(403);
    expect(refused.body.type).toBe('/problems/account-disabled');
    const groups = await api.http.get('/admin/groups').set(bearer(owner.token)).expect(200);
    expect(groups.body.map((g: { name: string }) => g.name)).toEqual(['Finance']);
  });

  it('shows added and removed groups, changes nothing until "I understand", then syncs', async () => {
    const owner = await tenant();
    const connection = await connect(owner, { autoCreateGroups: true, groupsAttribute: 'memberOf' });
    const user = { email: owner.admin.email, attributes: { memberOf: ['Engineering', 'Ops', 'ENGINEERING'] } };

    const first = await ssoLogin(connection.identifier, user);
    expect(first.body).toEqual({ status: 'groups_confirmation_required', confirmationId: expect.any(String), added: ['Engineering', 'Ops'], removed: [] });
    const none = await api.http.get('/admin/groups').set(bearer(owner.token)).expect(200);
    expect(none.body).toEqual([]);

    const confirmed = await api.http.post('/auth/sso/confirm-groups').send({ confirmationId: first.body.confirmationId }).expect(200);
    expect(confirmed.body.status).toBe('authenticated');
    await api.http.post('/auth/sso/confirm-groups').send({ confirmationId: first.body.confirmationId }).expect(404);
    const groups = await api.http.get('/admin/groups').set(bearer(owner.token)).expect(200);
    expect(groups.body).toEqual([
      { id: expect.any(String), name: 'Engineering', source: 'sso', memberCount: 1 },
      { id: expect.any(String), name: 'Ops', source: 'sso', memberCount: 1 },
    ]);

    // Same groups: straight in.
    expect((await ssoLogin(connection.identifier, user)).body.status).toBe('authenticated');

    // Moved from Ops to Sales on the IdP side.
    const moved = await ssoLogin(connection.identifier, { ...user, attributes: { memberOf: ['engineering', 'Sales'] } });
    expect(moved.body).toMatchObject({ status: 'groups_confirmation_required', added: ['Sales'], removed: ['Ops'] });
    await api.http.post('/auth/sso/confirm-groups').send({ confirmationId: moved.body.confirmationId }).expect(200);
    const after = await api.http.get('/admin/groups').set(bearer(owner.token)).expect(200);
    expect(after.body.map((g: { name: string; memberCount: number }) => [g.name, g.memberCount])).toEqual([
      ['Engineering', 1],
      ['Ops', 0],
      ['Sales', 1],
    ]);
    const changes = await events('user.sso_groups_changed', `data->>'userId' = $2`, [owner.admin.userId]);
    expect(changes).toHaveLength(2);
    expect(changes[1]).toMatchObject({ added: [{ name: 'Sales' }], removed: [{ name: 'Ops' }], connectionId: connection.id });

    // No groups attribute at all: the IdP said nothing about groups, nothing changes.
    expect((await ssoLogin(connection.identifier, { email: owner.admin.email })).body.status).toBe('authenticated');
    // The attribute sent without a value: in no group any more.
    const emptied = await ssoLogin(connection.identifier, { ...user, attributes: { memberOf: [] } });
    expect(emptied.body).toMatchObject({ status: 'groups_confirmation_required', added: [], removed: ['Engineering', 'Sales'] });
  });

  it('never changes more than it showed: group sync turned off before the confirmation removes nothing', async () => {
    const owner = await tenant();
    const connection = await connect(owner, { autoCreateGroups: true, groupsAttribute: 'memberOf' });
    const user = { email: owner.admin.email, attributes: { memberOf: ['Eng', 'Ops'] } };
    const first = await ssoLogin(connection.identifier, user);
    await api.http.post('/auth/sso/confirm-groups').send({ confirmationId: first.body.confirmationId }).expect(200);

    const leaving = await ssoLogin(connection.identifier, { ...user, attributes: { memberOf: ['Eng'] } });
    expect(leaving.body).toMatchObject({ status: 'groups_confirmation_required', added: [], removed: ['Ops'] });
    await api.http.patch(`/admin/sso-connections/${connection.id}`).set(bearer(owner.token)).send({ autoCreateGroups: false }).expect(200);
    expect((await api.http.post('/auth/sso/confirm-groups').send({ confirmationId: leaving.body.confirmationId }).expect(200)).body.status).toBe('authenticated');
    const groups = await api.http.get('/admin/groups').set(bearer(owner.token)).expect(200);
    expect(groups.body.map((g: { name: string; memberCount: number }) => [g.name, g.memberCount])).toEqual([
      ['Eng', 1],
      ['Ops', 1],
    ]);
  });
});

describe('attacks on the ACS', () => {
  let owner: Tenant;
  let identifier: string;
  let connectionId: string;

  beforeAll(async () => {
    owner = await tenant();
    const connection = await connect(owner);
    identifier = connection.identifier;
    connectionId = connection.id;
  });

  /** `cookie`: what the browser sends (the last start's by default, null for none). */
  async function refused(samlResponse: string, reason: RegExp, cookie: string | null = lastCookie ?? null, headers: Record<string, string> = {}) {
    const before = (await events('login.sso_rejected', `data->>'connectionId' = $2`, [connectionId])).length;
    const res = await postAcs(identifier, samlResponse, cookie ?? undefined, true, headers).expect(401);
    expect(res.body).toEqual({ type: '/problems/invalid-saml-response', title: expect.any(String), status: 401, traceId: expect.any(String) });
    const rejections = await events('login.sso_rejected', `data->>'connectionId' = $2`, [connectionId]);
    expect(rejections).toHaveLength(before + 1);
    expect(rejections.at(-1).reason).toMatch(reason);
  }

  /** The cookie of the last start, as the browser would send it with the post. */
  let lastCookie: string | undefined;

  async function bent(options: ResponseOptions, user: IdpUser = { email: owner.admin.email }, peer = idp) {
    const { requestId, cookie } = await start(identifier);
    lastCookie = cookie;
    if (peer !== idp) peer.trust((await api.http.get(`/auth/saml/${identifier}/metadata`)).text);
    return peer.response(user, { requestId, ...options });
  }

  it('records at most 50 rejected responses an hour from one client in the audit, and answers them all alike', async () => {
    const target = await connect(owner);
    const junk = Buffer.from('<not-saml/>').toString('base64');
    for (let i = 0; i < 55; i++) {
      const res = await postAcs(target.identifier, junk, undefined, true, { 'X-Forwarded-For': '203.0.113.77' }).expect(401);
      expect(res.body.type).toBe('/problems/invalid-saml-response');
    }
    expect(await events('login.sso_rejected', `data->>'connectionId' = $2`, [target.id])).toHaveLength(50);
    // Another client's rejection is still recorded.
    await postAcs(target.identifier, junk, undefined, true, { 'X-Forwarded-For': '203.0.113.78' }).expect(401);
    expect(await events('login.sso_rejected', `data->>'connectionId' = $2`, [target.id])).toHaveLength(51);
  });

  it('refuses an unsigned assertion', async () => {
    await refused(await bent({ sign: 'none' }), /signature/);
  });

  it('refuses an assertion signed by another key', async () => {
    await refused(await bent({ issuer: idp.entityId }, undefined, impostor), /signature/);
  });

  it('refuses signature wrapping: a second, unsigned assertion beside the signed one', async () => {
    const xml = decode(await bent({}));
    const signed = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
    const evil = signed
      .replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '')
      .replace(/ID="[^"]+"/, 'ID="_evil"')
      .replace(/<saml:NameID([^>]*)>[^<]*</, `<saml:NameID$1>someone.else@${owner.domain}<`);
    await refused(encode(xml.replace(signed, evil + signed)), /signature/);
  });

  it('refuses a comment injected into the NameID', async () => {
    const xml = decode(await bent({}, { email: `${owner.admin.email}.evil.example` }));
    await refused(encode(xml.replace(`${owner.admin.email}.evil.example<`, `${owner.admin.email}<!---->.evil.example<`)), /comment/);
  });

  it('refuses an assertion from the right key that names another issuer', async () => {
    await refused(await bent({ issuer: 'https://not-the-configured-idp.test' }), /issuer/);
  });

  it('refuses a response posted from a browser that did not start the login (login CSRF)', async () => {
    // A browser navigation without the mark, or with another browser's mark.
    const response = await bent({});
    await refused(response, /browser_mismatch/, null, { 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Site': 'cross-site' });
    const other = await bent({});
    await refused(other, /browser_mismatch/, `lk_login=${'y'.repeat(43)}`);
    // A program without a cookie jar (no browser navigation) is not a CSRF victim: it gets its result.
    const program = await bent({});
    expect((await postAcs(identifier, program, undefined).expect(200)).body.status).toBe('authenticated');
  });

  it('refuses a response whose status is not Success, even with a signed assertion', async () => {
    await refused(await bent({ status: 'urn:oasis:names:tc:SAML:2.0:status:Responder' }), /idp_status: urn:oasis:names:tc:SAML:2.0:status:Responder/);
  });

  it('takes the request id only from the signed assertion', async () => {
    await refused(await bent({ confirmationInResponseTo: false }), /in_response_to/);
  });

  it('refuses a wrong audience, destination or recipient', async () => {
    await refused(await bent({ audience: 'https://other-sp.example.test/metadata' }), /audience/);
    await refused(await bent({ destination: 'https://other-sp.example.test/acs' }), /destination/);
    await refused(await bent({ recipient: 'https://other-sp.example.test/acs' }), /recipient/);
  });

  it('refuses an expired assertion (beyond the allowed clock skew)', async () => {
    await refused(await bent({ shiftMs: -20 * 60_000, validForMs: 5 * 60_000 }), /expired/);
  });

  it('refuses an unknown InResponseTo and an IdP-initiated response unless the connection allows them', async () => {
    await refused(await bent({ requestId: '_not-a-request-we-sent' }), /in_response_to/);
    await refused(await bent({ requestId: null }), /in_response_to/);
    await api.http.patch(`/admin/sso-connections/${connectionId}`).set(bearer(owner.token)).send({ allowIdpInitiated: true }).expect(200);
    const unsolicited = await bent({ requestId: null });
    const res = await postAcs(identifier, unsolicited, undefined).expect(200);
    expect(res.body.status).toBe('authenticated');
    // Without a request id to spend, the assertion id alone stops a replay…
    await refused(unsolicited, /replayed/);
    // …and the confirmation's own expiry holds even without one on the Conditions.
    await refused(await bent({ requestId: null, shiftMs: -20 * 60_000, conditionsNotOnOrAfter: false }), /expired/);
    await api.http.patch(`/admin/sso-connections/${connectionId}`).set(bearer(owner.token)).send({ allowIdpInitiated: false }).expect(200);
  });

  it('refuses a replay of an accepted response', async () => {
    const response = await bent({});
    expect((await postAcs(identifier, response, lastCookie).expect(200)).body.status).toBe('authenticated');
    // The request it answered is spent.
    await refused(response, /in_response_to/);

    // Posted twice at once, it still logs in once.
    const twice = await bent({});
    const both = await Promise.all([postAcs(identifier, twice, lastCookie), postAcs(identifier, twice, lastCookie)]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('refuses a response with a DOCTYPE or entity declarations', async () => {
    const xml = decode(await bent({}));
    await refused(encode(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>${xml}`), /doctype/);
  });

  it('answers 400 for a body without SAMLResponse and 415 for form posts elsewhere', async () => {
    await api.http.post(`/auth/saml/${identifier}/acs`).type('form').send({ RelayState: 'x' }).expect(400);
    await api.http.post('/auth/login').type('form').send({ login: 'a', password: 'b' }).expect(415);
  });
});

describe('admin of SSO connections', () => {
  it('validates, rejects duplicates, hides other accounts and requires the admin role', async () => {
    const owner = await tenant();
    const body = { identifier: unique('adm'), idpEntityId: idp.entityId, idpSsoUrl: `${idp.url}/sso` };
    const bad = await api.http.post('/admin/sso-connections').set(bearer(owner.token)).send({ ...body, idpCertificate: 'not a certificate' }).expect(400);
    expect(bad.body.type).toBe('/problems/validation');
    // An empty request lists every missing setting at once, the certificate too.
    const empty = await api.http.post('/admin/sso-connections').set(bearer(owner.token)).send({}).expect(400);
    expect(empty.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['identifier', 'idpCertificate', 'idpEntityId', 'idpSsoUrl']);
    // Each required setting missing (or null) is a field error, not a failure further in.
    for (const field of ['identifier', 'idpEntityId', 'idpSsoUrl'] as const) {
      for (const value of [undefined, null, '']) {
        const res = await api.http.post('/admin/sso-connections').set(bearer(owner.token)).send({ ...body, [field]: value, idpCertificate: idp.credentials.certificate }).expect(400);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
    }
    // PEM without the BEGIN/END lines is accepted.
    const bare = idp.credentials.certificate.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
    const created = await api.http.post('/admin/sso-connections').set(bearer(owner.token)).send({ ...body, idpCertificate: bare }).expect(201);
    expect(created.body).toMatchObject({
      identifier: body.identifier,
      owned: true,
      loginUrl: `${api.config.publicApiUrl}/login/saml/${body.identifier}/`,
      groupsAttribute: 'groups',
      emailAttribute: 'email',
      requireOtpOnNewDevice: false,
    });
    // null in a PATCH changes nothing.
    const unchanged = await api.http.patch(`/admin/sso-connections/${created.body.id}`).set(bearer(owner.token)).send({ idpEntityId: null, identifier: null, emailDomains: null }).expect(200);
    expect(unchanged.body).toMatchObject({ identifier: body.identifier, idpEntityId: body.idpEntityId });
    const taken = await api.http.post('/admin/sso-connections').set(bearer(owner.token)).send({ ...body, idpCertificate: bare }).expect(409);
    expect(taken.body.type).toBe('/problems/identifier-taken');

    const stranger = await tenant();
    for (const req of [
      api.http.get(`/admin/sso-connections/${created.body.id}`),
      api.http.patch(`/admin/sso-connections/${created.body.id}`).send({ enforceSso: true }),
      api.http.delete(`/admin/sso-connections/${created.body.id}`),
    ]) {
      expect((await req.set(bearer(stranger.token))).status).toBe(404);
    }
    const member = await api.http.post('/admin/users').set(bearer(owner.token)).send({ email: `m@${owner.domain}`, username: unique('m') }).expect(201);
    expect(member.body.roles).toEqual(['member']);

    await api.http.delete(`/admin/sso-connections/${created.body.id}`).set(bearer(owner.token)).expect(204);
    await api.http.get(`/login/saml/${body.identifier}/`).expect(404);
    // The identifier stays the account's: links with it are out there, so another account may
    // not take it (its IdP would get those users)…
    const taker = await api.http.post('/admin/sso-connections').set(bearer(stranger.token)).send({ ...body, identifier: body.identifier.toUpperCase(), idpCertificate: bare }).expect(409);
    expect(taker.body.type).toBe('/problems/identifier-taken');
    // …but the account's own next connection may.
    const again = await api.http.post('/admin/sso-connections').set(bearer(owner.token)).send({ ...body, idpCertificate: bare }).expect(201);
    // Renamed, the same: the old identifier is free for this account only.
    await api.http.patch(`/admin/sso-connections/${again.body.id}`).set(bearer(owner.token)).send({ identifier: unique('renamed') }).expect(200);
    expect((await api.http.post('/admin/sso-connections').set(bearer(stranger.token)).send({ ...body, idpCertificate: bare }).expect(409)).body.type).toBe('/problems/identifier-taken');
    await api.http.post('/admin/sso-connections').set(bearer(owner.token)).send({ ...body, idpCertificate: bare }).expect(201);
  });
});
