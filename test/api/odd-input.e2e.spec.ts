import { connect, type AddressInfo } from 'node:net';
import { selfSignedCertificate } from '@latchkey/security';
import { loginWithCode, signUp, startApi, unique, type TestApi } from '@latchkey/testing';

/**
 * Input a client may well send that used to reach the database or an event's schema and come
 * back as a bare 500 (found by a review of the eighth session): each must be a clear 400, or be
 * taken as what it means, and leave nothing written.
 */
let api: TestApi;
let token: string;
let adminId: string;

beforeAll(async () => {
  api = await startApi('odd_input');
  const admin = await signUp(api.http);
  adminId = admin.userId;
  token = (await loginWithCode(api, admin)).accessToken;
});

afterAll(() => api.close());

const bearer = () => ({ Authorization: `Bearer ${token}` });
const signUpBody = (extra: Record<string, unknown> = {}) => {
  const username = unique('odd');
  return { accountName: 'Odd Input', email: `${username}@example.com`, username, password: 'correct horse battery staple', ...extra };
};

async function expectValidation(res: { status: number; body: { type?: string; errors?: { field: string }[] } }, field: string): Promise<void> {
  expect(res.status).toBe(400);
  expect(res.body.type).toBe('/problems/validation');
  expect(res.body.errors?.map((e) => e.field)).toContain(field);
}

async function eventCount(): Promise<number> {
  const { rows } = await api.pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM events`);
  return rows[0].n;
}

describe('null in an optional field is taken as absent', () => {
  it('signs up and creates users with "phone": null (no phone)', async () => {
    const body = signUpBody({ phone: null, locale: null });
    await api.http.post('/auth/signup').send(body).expect(201);
    const created = await api.http.post('/admin/users').set(bearer()).send({ email: `${unique('n')}@example.com`, username: unique('n'), phone: null, roles: null, webAccess: null }).expect(201);
    expect(created.body).toMatchObject({ phone: null, roles: ['member'], webAccess: true });
  });

  it('changes nothing for null roles, enabled, web access or channel', async () => {
    const before = (await api.http.get(`/admin/users/${adminId}`).set(bearer()).expect(200)).body;
    for (const field of ['roles', 'enabled', 'webAccess', 'twoFactorChannel', 'locale']) {
      const res = await api.http.patch(`/admin/users/${adminId}`).set(bearer()).send({ [field]: null }).expect(200);
      expect(res.body).toEqual(before);
    }
    await api.http.patch('/auth/me').set(bearer()).send({ twoFactorChannel: null }).expect(200);
    expect((await api.http.get(`/admin/users/${adminId}`).set(bearer()).expect(200)).body).toEqual(before);
  });
});

describe('text the product cannot keep is refused up front', () => {
  it('refuses emails that the user events would refuse, and a blank account name', async () => {
    const before = await eventCount();
    await expectValidation(await api.http.post('/auth/signup').send(signUpBody({ email: 'a#b@example.com' })), 'email');
    await expectValidation(await api.http.post('/auth/signup').send(signUpBody({ email: 'jöhn@example.com' })), 'email');
    await expectValidation(await api.http.post('/auth/signup').send(signUpBody({ accountName: '   ' })), 'accountName');
    await expectValidation(await api.http.post('/admin/users').set(bearer()).send({ email: 'x#y@example.com', username: unique('e') }), 'email');
    expect(await eventCount()).toBe(before);
  });

  it('refuses NUL characters and unpaired surrogates in bodies, queries and paths', async () => {
    const before = await eventCount();
    await expectValidation(await api.http.post('/auth/login').send({ login: 'ab\u0000c', password: 'whatever it is' }), 'login');
    await expectValidation(await api.http.post('/auth/login').send({ login: 'ab\ud800c', password: 'whatever it is' }), 'login');
    await expectValidation(await api.http.post('/auth/signup').send(signUpBody({ accountName: 'Nul\u0000Corp' })), 'accountName');
    await expectValidation(await api.http.get('/admin/users?query=%00').set(bearer()), 'query');
    const path = await api.http.get('/login/saml/a%00b/');
    expect(path.status).toBe(400);
    expect(path.body.type).toBe('/problems/validation');
    // A proper pair (an emoji), even written as escapes, is fine.
    const escaped = `{"login": "${unique('e')}\\ud83d\\ude00@example.com", "password": "whatever it is"}`;
    await api.http.post('/auth/login').set('Content-Type', 'application/json').send(escaped).expect(401);
    // The refused attempts wrote nothing; the last one, a real attempt, wrote its LoginAttempted.
    expect(await eventCount()).toBe(before + 1);
  });

  it('refuses bodies nested deeper than 32 levels, however deep, and stays up', async () => {
    const deep = (escape: boolean) => `{"login": "${escape ? '\\u0041' : 'A'}", "password": "whatever it is", "b": ${'['.repeat(45_000)}${']'.repeat(45_000)}}`;
    for (const escape of [true, false]) {
      const res = await api.http.post('/auth/login').set('Content-Type', 'application/json').send(deep(escape));
      expect(res.status).toBe(400);
      expect(res.body.errors[0].message).toMatch(/nest deeper than 32/);
    }
    await api.http.get('/health/live').expect(200);
    // 32 levels are fine (the field is unknown, so stripped); 33 are not.
    const nested = (levels: number) => `{"login": "nobody@example.com", "password": "whatever it is", "b": ${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
    await api.http.post('/auth/login').set('Content-Type', 'application/json').send(nested(32)).expect(401);
    const tooDeep = await api.http.post('/auth/login').set('Content-Type', 'application/json').send(nested(33)).expect(400);
    expect(tooDeep.body.errors[0]).toEqual({ field: expect.stringMatching(/^b(\.0)+$/), message: 'must not nest deeper than 32 levels' });
  });

  it('counts lengths as the events do (an emoji is two), and takes a login that lower-casing lengthens', async () => {
    await expectValidation(await api.http.patch(`/admin/users/${adminId}`).set(bearer()).send({ name: '😀'.repeat(101) }), 'name');
    await api.http.patch(`/admin/users/${adminId}`).set(bearer()).send({ name: '😀'.repeat(100) }).expect(200);
    // 'İ' lower-cases to two UTF-16 units: 320 of them are a login of 640 once normalized.
    await api.http.post('/auth/login').send({ login: 'İ'.repeat(320), password: 'whatever it is' }).expect(401);
  });

  it('answers problems for paths the router refuses: an over-long id is not found, an undecodable path is a bad request', async () => {
    for (const path of [`/admin/users/${'a'.repeat(101)}`, `/auth/flows/${'b'.repeat(150)}`, `/admin/sso-connections/${'c'.repeat(500)}`]) {
      const res = await api.http.get(path).set(bearer());
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ type: '/problems/not-found', status: 404 });
    }
    const bad = await api.http.get('/admin/users/%E0%A4%A').set(bearer());
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    await expectValidation(bad, '(path)');
  });

  it("answers problems for requests Node's HTTP parser refuses: a raw non-ASCII query, headers past the limit", async () => {
    const server = api.app.getHttpServer();
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    const raw = (request: Buffer) =>
      new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const socket = connect(port, '127.0.0.1', () => socket.end(request));
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
        socket.on('error', reject);
      });
    const answer = (text: string) => {
      const [head, body] = text.split('\r\n\r\n');
      return { status: Number(head.split(' ')[1]), contentType: /content-type: ([^\r]*)/i.exec(head)?.[1], body: JSON.parse(body) };
    };
    const nonAscii = answer(await raw(Buffer.concat([Buffer.from('GET /admin/users?query='), Buffer.from('ünï', 'utf8'), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')])));
    expect(nonAscii).toEqual({
      status: 400,
      contentType: 'application/problem+json; charset=utf-8',
      body: { type: '/problems/validation', title: expect.any(String), status: 400, errors: [{ field: '(request)', message: expect.any(String) }] },
    });
    const huge = answer(await raw(Buffer.from(`GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)));
    expect(huge).toEqual({ status: 431, contentType: 'application/problem+json; charset=utf-8', body: { type: '/problems/headers-too-large', title: expect.any(String), status: 431 } });
  });

  it('says one thing about a missing field, not also its length', async () => {
    const res = await api.http.post('/auth/sso/discover').send({}).expect(400);
    expect(res.body.errors).toEqual([{ field: 'email', message: expect.stringMatching(/email/) }]);
    const login = await api.http.post('/auth/login').send({ login: 'someone' }).expect(400);
    expect(login.body.errors).toEqual([{ field: 'password', message: 'password must be a string' }]);
  });

  it('lists every bad field in one answer, each once, format checks included', async () => {
    const before = await eventCount();
    const signUp = await api.http.post('/auth/signup').send(signUpBody({ email: 'bad', phone: '123', accountName: 'x'.repeat(20_000) })).expect(400);
    expect(signUp.body.errors).toEqual([
      { field: 'accountName', message: 'accountName must be at most 200 characters long' },
      { field: 'email', message: 'email must be an email address' },
      { field: 'phone', message: 'must be a phone number in E.164 format, e.g. +385911234567' },
    ]);
    const me = await api.http.patch('/auth/me').set(bearer()).send({ phone: '123', locale: 5 }).expect(400);
    expect(me.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['locale', 'phone']);
    const patch = await api.http.patch(`/admin/users/${adminId}`).set(bearer()).send({ enabled: 'no', phone: '12' }).expect(400);
    expect(patch.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['enabled', 'phone']);
    const sso = await api.http
      .post('/admin/sso-connections')
      .set(bearer())
      .send({ identifier: unique('fmt'), idpEntityId: 'x', idpSsoUrl: 'nope', idpCertificate: 'garbage' })
      .expect(400);
    expect(sso.body.errors).toEqual([
      { field: 'idpSsoUrl', message: 'idpSsoUrl must be a URL address' },
      { field: 'idpCertificate', message: 'must be an X.509 certificate in PEM' },
    ]);
    // Nothing was written by any of them.
    expect(await eventCount()).toBe(before);
    // A body-less action sent with a JSON content type and no body (as many clients do) just works.
    await api.http.post(`/admin/users/${adminId}/unlock`).set(bearer()).set('Content-Type', 'application/json').send('').expect(204);
  });

  it('says only what is wrong with a value of the wrong type (not also its range)', async () => {
    const res = await api.http.get('/admin/users?page=abc&pageSize=1.5').set(bearer());
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'page', message: 'page must be an integer number' },
      { field: 'pageSize', message: 'pageSize must be an integer number' },
    ]);
  });

  it("refuses an IdP login URL over plain http, except on this machine (users' browsers are sent there)", async () => {
    const { certificate } = await selfSignedCertificate('idp http', new Date(), 30);
    const body = { identifier: unique('http'), idpEntityId: 'https://idp.example.test', idpCertificate: certificate };
    const plain = await api.http.post('/admin/sso-connections').set(bearer()).send({ ...body, idpSsoUrl: 'http://idp.example.test/sso' }).expect(400);
    expect(plain.body.errors).toEqual([{ field: 'idpSsoUrl', message: 'idpSsoUrl must be an https URL (http only for localhost)' }]);
    const local = await api.http.post('/admin/sso-connections').set(bearer()).send({ ...body, idpSsoUrl: 'http://127.0.0.1:8443/sso' }).expect(201);
    // A PATCH may send the connection back as read; it may not move it to plain http elsewhere.
    await api.http.patch(`/admin/sso-connections/${local.body.id}`).set(bearer()).send({ idpSsoUrl: local.body.idpSsoUrl }).expect(200);
    const moved = await api.http.patch(`/admin/sso-connections/${local.body.id}`).set(bearer()).send({ idpSsoUrl: 'http://idp.example.test/sso' }).expect(400);
    expect(moved.body.errors).toEqual([{ field: 'idpSsoUrl', message: 'idpSsoUrl must be an https URL (http only for localhost)' }]);
  });

  it('refuses idpCertificate and idpCertificates that disagree, and takes them when they agree (a connection sent back as read)', async () => {
    const [one, two, three] = await Promise.all(['one', 'two', 'three'].map((n) => selfSignedCertificate(`idp ${n}`, new Date(), 30)));
    const body = { identifier: unique('certs'), idpEntityId: 'https://idp.example.test', idpSsoUrl: 'https://idp.example.test/sso' };
    const before = await eventCount();
    const mixed = await api.http.post('/admin/sso-connections').set(bearer()).send({ ...body, idpCertificate: one.certificate, idpCertificates: [two.certificate] });
    await expectValidation(mixed, 'idpCertificate');
    expect(await eventCount()).toBe(before);
    const created = await api.http.post('/admin/sso-connections').set(bearer()).send({ ...body, idpCertificate: one.certificate, idpCertificates: [one.certificate, two.certificate] }).expect(201);
    const { id, ...read } = created.body;
    // Read, a new certificate put into idpCertificate only, sent back: refused, not half-applied.
    await expectValidation(await api.http.patch(`/admin/sso-connections/${id}`).set(bearer()).send({ idpCertificate: three.certificate, idpCertificates: read.idpCertificates }), 'idpCertificate');
    await api.http.patch(`/admin/sso-connections/${id}`).set(bearer()).send({ idpCertificate: read.idpCertificate, idpCertificates: read.idpCertificates }).expect(200);
    // A rotation sent with the old certificate still in idpCertificate: it is in the list, the list counts.
    const rotated = await api.http.patch(`/admin/sso-connections/${id}`).set(bearer()).send({ idpCertificate: read.idpCertificate, idpCertificates: [...read.idpCertificates].reverse() }).expect(200);
    expect(rotated.body.idpCertificates).toEqual([...read.idpCertificates].reverse());
  });

  it('refuses blank SAML attribute names (the IdP would never send an attribute named "")', async () => {
    const res = await api.http.post('/admin/sso-connections').set(bearer()).send({ emailAttribute: '', groupsAttribute: '   ' });
    await expectValidation(res, 'emailAttribute');
    await expectValidation(res, 'groupsAttribute');
  });

  it('takes ids in upper case as the same ids', async () => {
    // A change finds the user's stream (`user-<id>`, lower case), not an empty one.
    const res = await api.http.patch(`/admin/users/${adminId.toUpperCase()}`).set(bearer()).send({ name: 'Upper Case' }).expect(200);
    expect(res.body).toMatchObject({ id: adminId, name: 'Upper Case' });
  });

  it('names the query or the path, not the body, for bad text there', async () => {
    const res = await api.http.get('/admin/users?a%00=1').set(bearer()).expect(400);
    expect(res.body.errors[0].field).toBe('(query)');
  });

  it('refuses page numbers and date-times it cannot use', async () => {
    await expectValidation(await api.http.get('/admin/users?page=1e300').set(bearer()), 'page');
    await expectValidation(await api.http.get('/admin/users?page=9999999999999999999').set(bearer()), 'page');
    await expectValidation(await api.http.get('/admin/audit?from=2024-W01').set(bearer()), 'from');
    await expectValidation(await api.http.get('/admin/audit?to=2024-123').set(bearer()), 'to');
    await api.http.get('/admin/audit?from=2024-01-01T00:00:00Z&to=2030-01-01').set(bearer()).expect(200);
  });
});
