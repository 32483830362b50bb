import { AsyncProjectionRunner } from '@latchkey/event-store';
import { SecretBox } from '@latchkey/security';
import { AuditUserAccounts1764806400000 } from '../../libs/event-store/src/migrations/1764806400000-audit-user-accounts';
import type { QueryRunner } from 'typeorm';
import { GOOD_PASSWORD, auditCaughtUp, loginWithCode, signUp, startApi, unique, type SignedUp, type TestApi } from '@latchkey/testing';

let api: TestApi;

beforeAll(async () => {
  api = await startApi('admin');
  // The audit trail is an async projection (the worker runs it); run it here too.
  api.app.get(AsyncProjectionRunner).start({ idleDelayMs: 20 });
});

afterAll(async () => {
  await api.app.get(AsyncProjectionRunner).stop();
  await api.close();
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The invitation link's token, as the email worker would send it. */
async function invitationToken(userId: string): Promise<string> {
  const { rows } = await api.pg.query(`SELECT data FROM events WHERE type = 'reset.requested' AND data->>'userId' = $1 ORDER BY global_position DESC LIMIT 1`, [userId]);
  return JSON.parse(new SecretBox(api.config.encryptionKeys!).decrypt(rows[0].data.sealed, rows[0].data.resetId)).token;
}

async function adminSession(): Promise<{ admin: SignedUp; token: string }> {
  const admin = await signUp(api.http);
  return { admin, token: (await loginWithCode(api, admin)).accessToken };
}

async function createMember(token: string, extra: Record<string, unknown> = {}) {
  const username = unique('member');
  const res = await api.http.post('/admin/users').set(bearer(token)).send({ email: `${username}@example.com`, username, ...extra }).expect(201);
  await api.http.post('/auth/password/reset').send({ token: await invitationToken(res.body.id), newPassword: GOOD_PASSWORD }).expect(204);
  return { ...res.body, password: GOOD_PASSWORD } as { id: string; email: string; username: string; accountId: string; password: string };
}

describe('an admin session, with every effect visible to the user', () => {
  it('creates, finds, changes, locks out and unlocks, revokes, disables — and the member notices each', async () => {
    const { admin, token } = await adminSession();
    const member = await createMember(token, { locale: 'de', roles: ['member'], name: 'Zora Quintessa' });
    const memberTokens = await loginWithCode(api, member);

    // Read and search.
    const one = await api.http.get(`/admin/users/${member.id}`).set(bearer(token)).expect(200);
    expect(one.body).toEqual({
      id: member.id,
      accountId: admin.accountId,
      email: member.email,
      username: member.username,
      name: 'Zora Quintessa',
      phone: null,
      roles: ['member'],
      webAccess: true,
      twoFactorChannel: 'email',
      locale: 'de',
      enabled: true,
      createdAt: expect.any(String),
    });
    const found = await api.http.get('/admin/users').query({ query: member.username.slice(2, 14).toUpperCase() }).set(bearer(token)).expect(200);
    expect(found.body).toMatchObject({ total: 1, page: 1, pageSize: 20, items: [{ id: member.id }] });
    const byName = await api.http.get('/admin/users').query({ query: 'QUINTESS' }).set(bearer(token)).expect(200);
    expect(byName.body.items.map((u: { id: string }) => u.id)).toEqual([member.id]);
    const renamed = await api.http.patch(`/admin/users/${member.id}`).set(bearer(token)).send({ name: 'Zora Q. Horvat' }).expect(200);
    expect(renamed.body.name).toBe('Zora Q. Horvat');
    const paged = await api.http.get('/admin/users').query({ page: 2, pageSize: 1 }).set(bearer(token)).expect(200);
    expect(paged.body).toMatchObject({ total: 2, page: 2, pageSize: 1 });
    expect(paged.body.items).toHaveLength(1);

    // Web access off: the member's next login is refused after the right password.
    await api.http.patch(`/admin/users/${member.id}`).set(bearer(token)).send({ webAccess: false }).expect(200);
    expect((await api.http.post('/auth/login').send({ login: member.email, password: member.password }).expect(403)).body.type).toBe('/problems/web-access-denied');
    await api.http.patch(`/admin/users/${member.id}`).set(bearer(token)).send({ webAccess: true }).expect(200);

    // Code channel and phone: the next new-device login sends an SMS.
    const changed = await api.http.patch(`/admin/users/${member.id}`).set(bearer(token)).send({ twoFactorChannel: 'sms', phone: '+385911112222' }).expect(200);
    expect(changed.body).toMatchObject({ twoFactorChannel: 'sms', phone: '+385911112222' });
    expect((await api.http.post('/auth/login').send({ login: member.email, password: member.password }).expect(200)).body.channel).toBe('sms');
    await api.http.patch(`/admin/users/${member.id}`).set(bearer(token)).send({ phone: '12345' }).expect(400);

    // A revoked device asks for a code again.
    const devices = await api.http.get(`/admin/users/${member.id}/devices`).set(bearer(token)).expect(200);
    expect(devices.body).toHaveLength(1);
    await api.http.delete(`/admin/users/${member.id}/devices/${devices.body[0].id}`).set(bearer(token)).expect(204);
    const afterRevoke = await api.http.post('/auth/login').send({ login: member.email, password: member.password, deviceToken: memberTokens.deviceToken }).expect(200);
    expect(afterRevoke.body.status).toBe('otp_required');

    // Locked out by failures, unlocked by the admin.
    for (let i = 0; i < 10; i++) await api.http.post('/auth/login').send({ login: member.username, password: `not it ${i}` }).expect(401);
    await api.http.post('/auth/login').send({ login: member.username, password: member.password }).expect(429);
    await api.http.post(`/admin/users/${member.id}/unlock`).set(bearer(token)).expect(204);
    await api.http.post('/auth/login').send({ login: member.username, password: member.password }).expect(200);

    // Web access taken away: the session of a login made before ends at once, new logins are refused.
    const before = await loginWithCode(api, member);
    await api.http.patch(`/admin/users/${member.id}`).set(bearer(token)).send({ webAccess: false }).expect(200);
    await api.http.get('/auth/me').set(bearer(before.accessToken)).expect(401);
    await api.http.post('/auth/token/refresh').send({ refreshToken: before.refreshToken }).expect(401);
    expect((await api.http.post('/auth/login').send({ login: member.email, password: member.password }).expect(403)).body.type).toBe('/problems/web-access-denied');
    const { rows: revoked } = await api.pg.query(`SELECT data->>'reason' AS reason FROM events WHERE type = 'session.revoked' AND data->>'sessionId' = $1`, [
      JSON.parse(Buffer.from(before.accessToken.split('.')[1], 'base64url').toString()).sid,
    ]);
    expect(revoked).toEqual([{ reason: 'web_access_removed' }]);
    await api.http.patch(`/admin/users/${member.id}`).set(bearer(token)).send({ webAccess: true }).expect(200);

    // Disabled: sessions end at once, logins are refused.
    // (from the device trusted above: the member has had their five codes this hour)
    const again = (await api.http.post('/auth/login').send({ login: member.email, password: member.password, deviceToken: before.deviceToken }).expect(200)).body;
    expect(again.status).toBe('authenticated');
    await api.http.get('/auth/me').set(bearer(again.accessToken)).expect(200);
    const disabled = await api.http.patch(`/admin/users/${member.id}`).set(bearer(token)).send({ enabled: false }).expect(200);
    expect(disabled.body.enabled).toBe(false);
    await api.http.get('/auth/me').set(bearer(again.accessToken)).expect(401);
    await api.http.post('/auth/token/refresh').send({ refreshToken: again.refreshToken }).expect(401);
    expect((await api.http.post('/auth/login').send({ login: member.email, password: member.password }).expect(403)).body.type).toBe('/problems/account-disabled');

    // History: every action above, with the admin as actor, and no secrets.
    await auditCaughtUp(api);
    const history = await api.http.get(`/admin/users/${member.id}/events`).set(bearer(token)).expect(200);
    const types = history.body.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['user.registered', 'reset.requested', 'user.password_changed', 'user.access_changed', 'device.revoked', 'user.unlocked', 'user.locked_out', 'session.revoked']));
    const access = history.body.find((e: { type: string }) => e.type === 'user.access_changed');
    expect(access.actor).toEqual({ type: 'admin', id: admin.userId });
    expect(access.ip).toEqual(expect.any(String));
    const text = JSON.stringify(history.body);
    for (const secret of ['"hash"', 'tokenHash', 'sealed', 'codeHash', 'refreshTokenHash', '$argon2id$']) expect(text).not.toContain(secret);
  });

  it('keeps at least one account_admin who can log in (enabled, with web access)', async () => {
    const { admin, token } = await adminSession();
    const demote = await api.http.patch(`/admin/users/${admin.userId}`).set(bearer(token)).send({ roles: ['member'] }).expect(409);
    expect(demote.body.type).toBe('/problems/last-admin');
    await api.http.patch(`/admin/users/${admin.userId}`).set(bearer(token)).send({ enabled: false }).expect(409);
    expect((await api.http.patch(`/admin/users/${admin.userId}`).set(bearer(token)).send({ webAccess: false }).expect(409)).body.type).toBe('/problems/last-admin');
    // A deputy admin without web access cannot log in: no stand-in yet.
    const deputy = await createMember(token);
    await api.http.patch(`/admin/users/${deputy.id}`).set(bearer(token)).send({ roles: ['account_admin', 'member'], webAccess: false }).expect(200);
    await api.http.patch(`/admin/users/${admin.userId}`).set(bearer(token)).send({ roles: ['member'] }).expect(409);
    await api.http.patch(`/admin/users/${deputy.id}`).set(bearer(token)).send({ webAccess: true }).expect(200);
    await api.http.patch(`/admin/users/${admin.userId}`).set(bearer(token)).send({ roles: ['member'] }).expect(200);
  });
});

describe("a user's sessions", () => {
  it('lists where a member is signed in and ends a session, which stops working at once', async () => {
    const { token } = await adminSession();
    const member = await createMember(token);
    const first = await loginWithCode(api, member);
    const second = await loginWithCode(api, member, { trustDevice: false });
    const listed = (await api.http.get(`/admin/users/${member.id}/sessions`).set(bearer(token)).expect(200)).body.items;
    expect((await api.http.get(`/admin/users/${member.id}/sessions?cursor=zzz`).set(bearer(token)).expect(400)).body.errors).toEqual([{ field: 'cursor', message: 'cursor is not valid' }]);
    expect(listed).toHaveLength(2);
    // The admin's own session is not among the member's: none is "current".
    expect(listed.every((s: { current: boolean }) => !s.current)).toBe(true);
    const target = listed.find((s: { device: unknown }) => s.device === null);
    await api.http.delete(`/admin/users/${member.id}/sessions/${target.id}`).set(bearer(token)).expect(204);
    await api.http.get('/auth/me').set(bearer(second.accessToken)).expect(401);
    await api.http.get('/auth/me').set(bearer(first.accessToken)).expect(200);
    await api.http.delete(`/admin/users/${member.id}/sessions/${target.id}`).set(bearer(token)).expect(404);
    const { rows } = await api.pg.query(`SELECT data->>'reason' AS reason, metadata->'actor' AS actor FROM events WHERE type = 'session.revoked' AND data->>'sessionId' = $1`, [target.id]);
    expect(rows).toEqual([{ reason: 'admin', actor: expect.objectContaining({ type: 'admin' }) }]);
  });
});

describe('tenant isolation and roles', () => {
  it('answers 404 for every endpoint with another account user, and 403 to a member', async () => {
    const { token: foreignToken } = await adminSession();
    const { token } = await adminSession();
    const victim = await createMember(token);
    const victimTokens = await loginWithCode(api, victim);
    const [device] = (await api.http.get(`/admin/users/${victim.id}/devices`).set(bearer(token)).expect(200)).body;
    const [session] = (await api.http.get(`/admin/users/${victim.id}/sessions`).set(bearer(token)).expect(200)).body.items;
    const probes: [string, string, object?][] = [
      ['get', `/admin/users/${victim.id}`],
      ['get', `/admin/users/${victim.id}/sessions`],
      ['delete', `/admin/users/${victim.id}/sessions/${session.id}`],
      ['patch', `/admin/users/${victim.id}`, { webAccess: false }],
      ['post', `/admin/users/${victim.id}/password-reset`],
      ['get', `/admin/users/${victim.id}/devices`],
      ['delete', `/admin/users/${victim.id}/devices/${device.id}`],
      ['post', `/admin/users/${victim.id}/unlock`],
      ['get', `/admin/users/${victim.id}/events`],
      // An id that is no id at all names nothing either.
      ['get', '/admin/users/not-a-user'],
      ['delete', `/admin/users/${victim.id}/devices/not-a-device`],
      ['get', '/admin/sso-connections/not-a-connection'],
    ];
    for (const [method, path, body] of probes) {
      const res = await (api.http as unknown as Record<string, (p: string) => import('supertest').Test>)[method](path).set(bearer(foreignToken)).send(body ?? {});
      expect({ path, method, status: res.status, type: res.body.type }).toEqual({ path, method, status: 404, type: '/problems/not-found' });
    }
    // Nothing of the victim shows in the other account's lists.
    const list = await api.http.get('/admin/users').query({ query: victim.username }).set(bearer(foreignToken)).expect(200);
    expect(list.body.total).toBe(0);
    await auditCaughtUp(api);
    const audit = await api.http.get('/admin/audit').query({ userId: victim.id }).set(bearer(foreignToken)).expect(200);
    expect(audit.body.items).toEqual([]);
    // The victim is untouched.
    expect((await api.http.get(`/admin/users/${victim.id}`).set(bearer(token)).expect(200)).body.webAccess).toBe(true);

    for (const [method, path, body] of [...probes, ['get', '/admin/users'], ['post', '/admin/users', { email: 'x@example.com', username: unique('x') }], ['get', '/admin/audit']] as [string, string, object?][]) {
      const res = await (api.http as unknown as Record<string, (p: string) => import('supertest').Test>)[method](path).set(bearer(victimTokens.accessToken)).send(body ?? {});
      expect({ path, method, status: res.status, type: res.body.type }).toEqual({ path, method, status: 403, type: '/problems/forbidden' });
    }
    await api.http.get('/admin/users').expect(401);
  });

  it('counts a change of roles at once, for access tokens issued before it', async () => {
    const { token } = await adminSession();
    const deputy = await createMember(token);
    const deputyToken = (await loginWithCode(api, deputy)).accessToken;
    await api.http.get('/admin/users').set(bearer(deputyToken)).expect(403);

    // Promoted: the token the deputy already holds (roles: member) reaches the admin endpoints.
    await api.http.patch(`/admin/users/${deputy.id}`).set(bearer(token)).send({ roles: ['account_admin'] }).expect(200);
    await api.http.get('/admin/users').set(bearer(deputyToken)).expect(200);

    // Demoted: the same token loses them without waiting for it to expire.
    await api.http.patch(`/admin/users/${deputy.id}`).set(bearer(token)).send({ roles: ['member'] }).expect(200);
    const refused = await api.http.get('/admin/users').set(bearer(deputyToken)).expect(403);
    expect(refused.body.type).toBe('/problems/forbidden');
    // Still a valid login for everything a member may do.
    await api.http.get('/auth/me').set(bearer(deputyToken)).expect(200);
  });
});

describe('audit', () => {
  it('lists the account events newest first, filtered, in pages that stay stable while new events arrive', async () => {
    const { admin, token } = await adminSession();
    const member = await createMember(token);
    for (let i = 0; i < 3; i++) await api.http.post('/auth/login').send({ login: member.email, password: `wrong ${i}` }).expect(401);
    await auditCaughtUp(api);

    const all = (await api.http.get('/admin/audit').query({ limit: 200 }).set(bearer(token)).expect(200)).body.items as { id: string; type: string; occurredAt: string }[];
    expect(all.length).toBeGreaterThan(8);
    const times = all.map((e) => e.occurredAt);
    expect([...times].sort().reverse()).toEqual(times);

    const first = await api.http.get('/admin/audit').query({ limit: 4 }).set(bearer(token)).expect(200);
    // New events arrive between pages.
    await api.http.post('/auth/login').send({ login: admin.email, password: admin.password }).expect(200);
    await auditCaughtUp(api);
    const pages = [...first.body.items];
    let cursor = first.body.nextCursor as string | null;
    while (cursor) {
      const next = await api.http.get('/admin/audit').query({ limit: 4, cursor }).set(bearer(token)).expect(200);
      pages.push(...next.body.items);
      cursor = next.body.nextCursor;
    }
    expect(pages.map((e: { id: string }) => e.id)).toEqual(all.map((e) => e.id));

    const failed = await api.http.get('/admin/audit').query({ type: 'login.attempted', userId: member.id }).set(bearer(token)).expect(200);
    expect(failed.body.items).toHaveLength(3);
    expect(failed.body.items.every((e: { data: { outcome: string } }) => e.data.outcome === 'failed')).toBe(true);
    const window = await api.http.get('/admin/audit').query({ from: new Date(Date.now() + 60_000).toISOString() }).set(bearer(token)).expect(200);
    expect(window.body).toEqual({ items: [], nextCursor: null });

    const bad = await api.http.get('/admin/audit').query({ cursor: 'not-a-cursor' }).set(bearer(token)).expect(400);
    expect(bad.body).toMatchObject({ type: '/problems/validation', errors: [{ field: 'cursor', message: expect.any(String) }] });
    await api.http.get('/admin/audit').query({ userId: 'nope' }).set(bearer(token)).expect(400);
    const backwards = await api.http.get('/admin/audit').query({ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }).set(bearer(token)).expect(400);
    expect(backwards.body.errors).toEqual([{ field: 'to', message: 'to must not be before from' }]);
  });
});

describe('audit after an upgrade', () => {
  it('still puts the later events of a user registered before it into the account\'s audit', async () => {
    const { token } = await adminSession();
    const member = await createMember(token);
    await auditCaughtUp(api);
    // The audit keeps which account a user is in from `user.registered`; a database upgraded to
    // that table has it filled from the users already there, so a user's later events, which
    // name only the user, still reach the account's audit.
    const runner = api.app.get(AsyncProjectionRunner);
    await runner.stop();
    const migration = new AuditUserAccounts1764806400000();
    const db = { query: (sql: string) => api.pg.query(sql) } as unknown as QueryRunner;
    await migration.down(db);
    await migration.up(db);
    runner.start({ idleDelayMs: 20 });
    await api.http.post(`/admin/users/${member.id}/unlock`).set(bearer(token)).expect(204);
    await auditCaughtUp(api);
    const unlocked = await api.http.get('/admin/audit').query({ type: 'user.unlocked', userId: member.id }).set(bearer(token)).expect(200);
    expect(unlocked.body.items).toHaveLength(1);
  });
});

describe('OpenAPI', () => {
  it('documents every admin endpoint', async () => {
    const doc = (await api.http.get('/docs-json').expect(200)).body;
    for (const path of ['/admin/users', '/admin/users/{id}', '/admin/users/{id}/password-reset', '/admin/users/{id}/devices', '/admin/users/{id}/devices/{deviceId}', '/admin/users/{id}/sessions', '/admin/users/{id}/sessions/{sessionId}', '/admin/users/{id}/unlock', '/admin/users/{id}/events', '/admin/audit', '/admin/sso-connections', '/admin/sso-connections/{id}', '/admin/sso-connections/{id}/join', '/admin/groups']) {
      expect(doc.paths[path]).toBeDefined();
    }
    expect(doc.paths['/admin/users/{id}'].patch.responses['409']).toBeDefined();
    // Responses have schemas, not just descriptions.
    expect(doc.paths['/admin/users/{id}'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/AdminUserDoc' });
    expect(Object.keys(doc.components.schemas.AdminUserDoc.properties)).toEqual(
      expect.arrayContaining(['id', 'accountId', 'email', 'username', 'phone', 'roles', 'webAccess', 'twoFactorChannel', 'locale', 'enabled', 'createdAt']),
    );
    expect(doc.paths['/admin/audit'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/AuditPageDoc' });
    expect(doc.paths['/admin/sso-connections'].post.responses['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/SsoConnectionDoc' });
    expect(Object.keys(doc.components.schemas.SsoConnectionDoc.properties)).toEqual(expect.arrayContaining(['identifier', 'entityId', 'acsUrl', 'metadataUrl', 'loginUrl']));
  });
});

