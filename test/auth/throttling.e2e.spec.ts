import { hashesStarted, loginWithCode, signUp, startApi, unique, type TestApi } from '@latchkey/testing';

describe('login throttling', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startApi('throttle');
  });

  afterAll(() => api.close());

  it('refuses the 11th attempt on one login within 15 minutes with 429, without hashing, even with the right password', async () => {
    const user = await signUp(api.http);
    for (let i = 0; i < 10; i++) await api.http.post('/auth/login').send({ login: user.email, password: `wrong password ${i}` }).expect(401);
    const before = await hashesStarted(api);
    const refused = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(429);
    expect(refused.body.type).toBe('/problems/rate-limited');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(800);
    expect(retryAfter).toBeLessThanOrEqual(900);
    // Any case or spacing of the same login counts as the same login.
    await api.http.post('/auth/login').send({ login: ` ${user.email.toUpperCase()} `, password: user.password }).expect(429);
    expect(await hashesStarted(api)).toBe(before);
    const { rows } = await api.pg.query(`SELECT data FROM events WHERE type = 'user.locked_out' AND data->>'userId' = $1`, [user.userId]);
    expect(rows).toHaveLength(1);
    expect(rows[0].data.failures).toBe(10);
  });

  it("a right password clears the login's failures (an email in one account)", async () => {
    const user = await signUp(api.http);
    for (let i = 0; i < 9; i++) await api.http.post('/auth/login').send({ login: user.email, password: `typo ${i}` }).expect(401);
    await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    // Ten more failures fit in the window again; the eleventh does not.
    for (let i = 0; i < 10; i++) await api.http.post('/auth/login').send({ login: user.email, password: `typo again ${i}` }).expect(401);
    await api.http.post('/auth/login').send({ login: user.email, password: 'typo once more' }).expect(429);
  });

  it("an email in two accounts: each user's window counts every password checked against them; only their own unlock lifts it", async () => {
    const victim = await signUp(api.http);
    // Anyone can sign up an account of their own with someone else's email.
    const other = await signUp(api.http, { email: victim.email, password: 'an other password entirely' });
    const victimToken = (await loginWithCode(api, { email: victim.email, password: victim.password })).accessToken;
    const otherToken = (await loginWithCode(api, { email: other.email, password: other.password })).accessToken;
    for (let i = 0; i < 9; i++) await api.http.post('/auth/login').send({ login: victim.email, password: `guess ${i}` }).expect(401);
    // The other user's right password lets them in, clears their own failures, and is one more
    // wrong password for the victim: the tenth, which fills the victim's window.
    expect((await api.http.post('/auth/login').send({ login: victim.email, password: other.password }).expect(200)).body.status).toBe('otp_required');
    // The victim's password is no longer checked, whoever sends it: 429, not "wrong password".
    const refused = await api.http.post('/auth/login').send({ login: victim.email, password: victim.password }).expect(429);
    expect(refused.body.type).toBe('/problems/rate-limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(800);
    // The other account's admin unlocking their own user does not lift it…
    await api.http.post(`/admin/users/${other.userId}/unlock`).set({ Authorization: `Bearer ${otherToken}` }).expect(204);
    await api.http.post('/auth/login').send({ login: victim.email, password: victim.password }).expect(429);
    // …though the other user, whose window has room, still gets in.
    expect((await api.http.post('/auth/login').send({ login: other.email, password: other.password }).expect(200)).body.status).toBe('otp_required');
    // The victim's own admin (here: themselves, through a session they already had) lifts it.
    await api.http.post(`/admin/users/${victim.userId}/unlock`).set({ Authorization: `Bearer ${victimToken}` }).expect(204);
    expect((await api.http.post('/auth/login').send({ login: victim.email, password: victim.password }).expect(200)).body.status).toBe('otp_required');
    // The lock-out is in the victim's history only, and without the address of whoever filled the window:
    // it came from a login that named users of two accounts.
    const lockouts = await api.pg.query(
      `SELECT data->>'userId' AS "userId", metadata->>'ip' AS ip FROM events WHERE type = 'user.locked_out' AND data->>'userId' = ANY($1)`,
      [[victim.userId, other.userId]],
    );
    expect(lockouts.rows).toEqual([{ userId: victim.userId, ip: null }]);
  });

  it('an email in two accounts: ten right passwords for one user are ten wrong ones for the other (no free guesses)', async () => {
    const victim = await signUp(api.http);
    const attacker = await signUp(api.http, { email: victim.email, password: 'the attackers own password' });
    // From a device the attacker trusts, so that no code is sent (the hourly cap on codes would answer 429 first).
    const { deviceToken } = await loginWithCode(api, { email: victim.email, password: attacker.password });
    const hashesBefore = await hashesStarted(api);
    for (let i = 0; i < 9; i++) {
      expect((await api.http.post('/auth/login').send({ login: victim.email, password: attacker.password, deviceToken }).expect(200)).body.status).toBe('authenticated');
    }
    // Each login checked both users' passwords; with the one before, ten wrong ones for the victim.
    expect((await hashesStarted(api)) - hashesBefore).toBe(18);
    // From now on the victim's password is not checked, only the attacker's (one hash each).
    await api.http.post('/auth/login').send({ login: victim.email, password: victim.password }).expect(429);
    expect((await api.http.post('/auth/login').send({ login: victim.email, password: attacker.password, deviceToken }).expect(200)).body.status).toBe('authenticated');
    expect((await hashesStarted(api)) - hashesBefore).toBe(20);
  });

  it('an email in two accounts: a right password clears only its own user\'s failures', async () => {
    const first = await signUp(api.http);
    const second = await signUp(api.http, { email: first.email, password: 'a second password entirely' });
    for (let i = 0; i < 8; i++) await api.http.post('/auth/login').send({ login: first.email, password: `typo ${i}` }).expect(401);
    // The first user's right password clears their window (eight failures gone); the second's has nine now.
    expect((await api.http.post('/auth/login').send({ login: first.email, password: first.password }).expect(200)).body.status).toBe('otp_required');
    await api.http.post('/auth/login').send({ login: first.email, password: 'typo again' }).expect(401);
    // The second's window is full: their right password is refused.
    await api.http.post('/auth/login').send({ login: second.email, password: second.password }).expect(429);
    // The first user's window had room for all of that.
    expect((await api.http.post('/auth/login').send({ login: first.email, password: first.password }).expect(200)).body.status).toBe('otp_required');
  });

  it('checks at most 10 passwords of one login even when the attempts arrive at once', async () => {
    const user = await signUp(api.http);
    const before = await hashesStarted(api);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        api.http.post('/auth/login').set('X-Forwarded-For', `203.0.113.${i + 1}`).send({ login: user.username, password: `wrong password ${i}` }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 401 || s === 429 || s === 503)).toBe(true);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
    expect(statuses).toContain(429);
    expect((await hashesStarted(api)) - before).toBeLessThanOrEqual(10);
    // Fill the window if attempts refused with 503 left places (each gives its place back).
    for (let i = 0; i < 10; i++) {
      const res = await api.http.post('/auth/login').set('X-Forwarded-For', '203.0.113.99').send({ login: user.username, password: `more ${i}` });
      if (res.status === 429) break;
      expect(res.status).toBe(401);
    }
    // However many failures saw the window full, the lock-out is one event.
    const { rows } = await api.pg.query(`SELECT data FROM events WHERE type = 'user.locked_out' AND data->>'userId' = $1`, [user.userId]);
    expect(rows).toHaveLength(1);
  });

  it('does not let failures on one login lock out another', async () => {
    const victim = await signUp(api.http);
    const other = await signUp(api.http);
    for (let i = 0; i < 10; i++) await api.http.post('/auth/login').send({ login: victim.username, password: `wrong password ${i}` }).expect(401);
    const res = await api.http.post('/auth/login').send({ login: other.username, password: other.password }).expect(200);
    expect(res.body.status).toBe('otp_required');
  });

  it('counts failures on unknown logins too (no enumeration through the limit)', async () => {
    const ghost = `${unique('ghost')}@example.com`;
    for (let i = 0; i < 10; i++) await api.http.post('/auth/login').send({ login: ghost, password: 'whatever it is' }).expect(401);
    await api.http.post('/auth/login').send({ login: ghost, password: 'whatever it is' }).expect(429);
  });
});

describe('per-IP throttling and the hashing bound', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startApi('throttle_ip', { LOGIN_MAX_FAILURES_PER_IP: '5', PASSWORD_HASH_CONCURRENCY: '2' });
  });

  afterAll(() => api.close());

  it('refuses an IP after too many failures across different logins', async () => {
    for (let i = 0; i < 5; i++) await api.http.post('/auth/login').send({ login: `${unique('spray')}@example.com`, password: 'Summer2026!!' }).expect(401);
    const refused = await api.http.post('/auth/login').send({ login: `${unique('spray')}@example.com`, password: 'Summer2026!!' }).expect(429);
    expect(refused.body.type).toBe('/problems/rate-limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('answers 503 at once when every password-hashing slot is busy, instead of queueing', async () => {
    // Fresh IP budget: a different source address through X-Forwarded-For from the trusted loopback proxy.
    const user = await signUp(api.http);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api.http.post('/auth/login').set('X-Forwarded-For', `198.51.100.${i + 1}`).send({ login: user.email, password: user.password }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses).toContain(503);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    const busy = results.find((r) => r.status === 503)!;
    expect(busy.body.type).toBe('/problems/unavailable');
    expect(busy.headers['retry-after']).toBe('1');
    const metrics = await api.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/latchkey_password_hash_operations_total\{outcome="refused"\} [1-9]/);
  });

  it('does not count an attempt refused with 503 (password not checked) as a failure', async () => {
    const user = await signUp(api.http);
    const ip = (i: number) => `192.0.2.${i + 1}`;
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) => api.http.post('/auth/login').set('X-Forwarded-For', ip(i)).send({ login: user.username, password: `wrong ${i}` })),
    );
    const failed = burst.filter((r) => r.status === 401).length;
    expect(burst.filter((r) => r.status === 503).length).toBeGreaterThan(0);
    // Exactly 10 failures are counted in all: the burst's 401s and then as many more.
    let more = 0;
    for (let i = 0; i < 12; i++) {
      const res = await api.http.post('/auth/login').set('X-Forwarded-For', ip(20 + i)).send({ login: user.username, password: `again ${i}` });
      if (res.status === 429) break;
      expect(res.status).toBe(401);
      more += 1;
    }
    expect(failed + more).toBe(10);
  });
});

