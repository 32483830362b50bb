import { AsyncProjectionRunner } from '@latchkey/event-store';
import { SecretBox } from '@latchkey/security';
import { auditCaughtUp, builtEntry, codeOf, loginWithCode, runNode, signUp, startApi, testEnvironment, unique, type TestApi } from '@latchkey/testing';
import { SamlIdpPeer } from '../peers/saml-idp.peer';

/** The identity read models, rebuilt from the events of real sign-ups, logins, devices and sessions, equal the ones kept inline. */
describe('projections:rebuild on the identity read models', () => {
  let api: TestApi;
  let idp: SamlIdpPeer;

  beforeAll(async () => {
    [api, idp] = await Promise.all([startApi('rebuild_identity'), SamlIdpPeer.start()]);
    api.app.get(AsyncProjectionRunner).start({ idleDelayMs: 20 });
  });

  afterAll(async () => {
    await api.app.get(AsyncProjectionRunner).stop();
    await Promise.all([api.close(), idp.stop()]);
  });

  async function snapshot(): Promise<Record<string, unknown[]>> {
    const tables: Record<string, string> = {
      accounts: 'SELECT * FROM read.accounts ORDER BY id',
      users: 'SELECT * FROM read.users ORDER BY id',
      devices: 'SELECT * FROM read.devices ORDER BY id',
      sessions: 'SELECT * FROM read.sessions ORDER BY id',
      refresh_tokens: 'SELECT * FROM read.refresh_tokens ORDER BY token_hash',
      reset_tokens: 'SELECT * FROM read.reset_tokens ORDER BY token_hash',
      audit_log: 'SELECT * FROM read.audit_log ORDER BY global_position',
      audit_user_accounts: 'SELECT * FROM read.audit_user_accounts ORDER BY user_id',
      sso_connections: 'SELECT * FROM read.sso_connections ORDER BY id',
      sso_connection_accounts: 'SELECT * FROM read.sso_connection_accounts ORDER BY connection_id, account_id',
      groups: 'SELECT * FROM read.groups ORDER BY id',
      group_members: 'SELECT * FROM read.group_members ORDER BY group_id, user_id',
      external_identities: 'SELECT * FROM read.external_identities ORDER BY id',
    };
    const out: Record<string, unknown[]> = {};
    for (const [name, sql] of Object.entries(tables)) out[name] = (await api.pg.query(sql)).rows;
    // Indexes a rebuild drops for the replay (the audit log's) must come back as they were.
    out.indexes = (
      await api.pg.query(
        `SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS definition, indisvalid AS valid
           FROM pg_index WHERE indrelid::regclass::text LIKE 'read.%' ORDER BY 1`,
      )
    ).rows;
    return out;
  }

  it('gives the same rows, table for table', async () => {
    for (let i = 0; i < 4; i++) {
      const user = await signUp(api.http, i % 2 ? { phone: '+385911234567', locale: 'hr' } : {});
      const tokens = await loginWithCode(api, user);
      const bearer = { Authorization: `Bearer ${tokens.accessToken}` };
      await api.http.post('/auth/login').send({ login: user.email, password: user.password, deviceToken: tokens.deviceToken, locale: 'es' }).expect(200);
      const refreshed = await api.http.post('/auth/token/refresh').send({ refreshToken: tokens.refreshToken }).expect(200);
      await api.http.patch('/auth/me').set(bearer).send({ twoFactorChannel: 'voice' }).expect(200);
      if (i % 2) {
        const [device] = (await api.http.get('/auth/me/devices').set(bearer).expect(200)).body;
        await api.http.delete(`/auth/me/devices/${device.id}`).set(bearer).expect(204);
        await api.http.post('/auth/logout').send({ refreshToken: refreshed.body.refreshToken }).expect(204);
      } else {
        await api.http.post('/auth/token/refresh').send({ refreshToken: tokens.refreshToken }).expect(401); // reuse
      }
      const pending = await api.http.post('/auth/login').send({ login: user.username, password: user.password }).expect(200);
      if (pending.body.status === 'otp_required') await codeOf(api, pending.body.challengeId);
      await api.http.post('/auth/login').send({ login: user.email, password: 'wrong password, sorry' }).expect(401);
      await api.http.post('/auth/password/forgot').send({ login: user.email }).expect(202);
      await api.http.post('/auth/password/forgot').send({ login: user.username }).expect(202);
    }
    // A step-up (a wrong one first), a session ended by its user, a password change (a continued session).
    {
      const user = await signUp(api.http);
      const tokens = await loginWithCode(api, user);
      await loginWithCode(api, user, { trustDevice: false });
      const bearer = { Authorization: `Bearer ${tokens.accessToken}` };
      await api.http.post('/auth/me/reauthenticate').set(bearer).send({ password: 'not it at all', deviceToken: tokens.deviceToken }).expect(400);
      await api.http.post('/auth/me/reauthenticate').set(bearer).send({ password: user.password, deviceToken: tokens.deviceToken }).expect(204);
      const other = (await api.http.get('/auth/me/sessions').set(bearer).expect(200)).body.items.find((s: { current: boolean }) => !s.current);
      await api.http.delete(`/auth/me/sessions/${other.id}`).set(bearer).expect(204);
      await api.http.post('/auth/me/password').set(bearer).send({ currentPassword: user.password, newPassword: 'a rebuilt passphrase' }).expect(200);
    }
    // SSO: a connection shared with a second account that joins, a just-in-time user, confirmed groups.
    const [owner, sharing] = [await signUp(api.http), await signUp(api.http)];
    const [ownerToken, sharingToken] = [(await loginWithCode(api, owner)).accessToken, (await loginWithCode(api, sharing)).accessToken];
    const identifier = unique('rb');
    const connection = await api.http
      .post('/admin/sso-connections')
      .set({ Authorization: `Bearer ${ownerToken}` })
      .send({ identifier, idpEntityId: idp.entityId, idpSsoUrl: `${idp.url}/sso`, idpCertificate: idp.credentials.certificate, emailDomains: ['rebuild.test'], sharedWithAccountIds: [sharing.accountId], autoCreateUsers: true, autoCreateGroups: true })
      .expect(201);
    await api.http.post(`/admin/sso-connections/${connection.body.id}/join`).set({ Authorization: `Bearer ${sharingToken}` }).expect(204);
    await api.http.patch(`/admin/sso-connections/${connection.body.id}`).set({ Authorization: `Bearer ${ownerToken}` }).send({ enforceSso: true }).expect(200);
    idp.trust((await api.http.get(`/auth/saml/${identifier}/metadata`).expect(200)).text);
    const started = await api.http.get(`/login/saml/${identifier}`).expect(302);
    const requestId = (await idp.parseRequest(started.headers.location)).id;
    const browser = (started.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    const samlResponse = await idp.response({ email: 'jit@rebuild.test', attributes: { groups: ['Alpha', 'Beta'] } }, { requestId });
    const sso = await api.http
      .post(`/auth/saml/${identifier}/acs`)
      .type('form')
      .set({ Accept: 'application/json', Cookie: browser })
      .send({ SAMLResponse: samlResponse })
      .expect(200);
    await api.http.post('/auth/sso/confirm-groups').send({ confirmationId: sso.body.confirmationId }).expect(200);

    // The links are issued after the 202; wait until all eight are there.
    for (let i = 0; i < 100 && (await api.pg.query(`SELECT count(*)::int AS n FROM read.reset_tokens`)).rows[0].n < 8; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    // One link used: its user proved their address (read.users.email_proven_at), which a rebuild must keep.
    const {
      rows: [reset],
    } = await api.pg.query(`SELECT data FROM events WHERE type = 'reset.requested' ORDER BY global_position DESC LIMIT 1`);
    const { token } = JSON.parse(new SecretBox(api.config.encryptionKeys!).decrypt(reset.data.sealed, reset.data.resetId)) as { token: string };
    await api.http.post('/auth/password/reset').send({ token, newPassword: 'a proven passphrase' }).expect(204);
    // The audit log is async: let it catch up with the last event first.
    await auditCaughtUp(api);
    const before = await snapshot();
    // Codes sent by email and the link proved some addresses, not all (the SSO user's, say).
    const proven = before.users.filter((u) => (u as { email_proven_at: Date | null }).email_proven_at !== null);
    expect(proven.length).toBeGreaterThan(0);
    expect(proven.length).toBeLessThan(before.users.length);
    expect(before.audit_log.length).toBeGreaterThan(40);
    expect(before.users).toHaveLength(8);
    expect(before.sso_connection_accounts).toHaveLength(2);
    expect(before.group_members).toHaveLength(2);
    expect(before.devices.length).toBeGreaterThanOrEqual(4);
    expect(before.sessions.length).toBeGreaterThanOrEqual(8);
    // A step-up moved a session's authentication past its start; the rebuild must keep that too.
    expect(before.sessions.some((r) => { const row = r as { authenticated_at: Date | null; started_at: Date }; return row.authenticated_at !== null && row.authenticated_at.getTime() > row.started_at.getTime(); })).toBe(true);
    expect(before.reset_tokens).toHaveLength(8);
    expect(before.indexes).toContainEqual(expect.objectContaining({ name: 'read.audit_log_user_idx', valid: true }));

    await api.pg.query(`UPDATE read.users SET locale = 'fr'`);
    await api.pg.query(`DELETE FROM read.refresh_tokens`);
    await api.pg.query(`DELETE FROM read.group_members`);
    await api.pg.query(`UPDATE read.sso_connections SET enforce_sso = false`);
    await api.pg.query(`DELETE FROM read.audit_log WHERE global_position % 2 = 0`);
    const run = runNode(builtEntry('scripts/projections-rebuild.js'), testEnvironment(api.database.url, 'rebuild_identity'));
    const { code } = await run.exited;
    expect(run.stderr()).toBe('');
    expect(code).toBe(0);
    expect(run.stdout()).toMatch(/rebuilt \d+ projections \(accounts, users, devices, sessions, reset-tokens, sso-connections, groups, external-identities, audit-log\)/);
    expect(await snapshot()).toEqual(before);
  });
});
