import { InfobipPeer } from '../peers/infobip.peer';
import { SesPeer } from '../peers/ses.peer';
import { escapeLiteral } from 'pg';
import {
  CAUGHT_UP_SQL,
  TcpProxy,
  auditCaughtUp,
  builtEntry,
  codeOf,
  freePort,
  runNode,
  signUp,
  startApi,
  testEnvironment,
  waitForStatus,
  type RunningProcess,
  type TestApi,
} from '@latchkey/testing';

/**
 * Codes through the real worker to real HTTP peers (an Infobip-compatible server and
 * aws-ses-v2-local), with the faults a delivery system meets: provider errors, a refusal,
 * Redis going away, the worker killed mid-send, the relay replaying from the start. In every
 * case no code is lost and none is sent twice.
 */
const LABEL = 'delivery_faults';
let api: TestApi;
let infobip: InfobipPeer;
let ses: SesPeer;
let redis: TcpProxy;
let worker: RunningProcess | undefined;

function workerEnv(): Record<string, string> {
  return testEnvironment(api.database.url, LABEL, {
    ...providerEnv(),
    REDIS_URL: `redis://${redis.address.host}:${redis.address.port}`,
    LOG_LEVEL: 'info',
  });
}

function providerEnv(): Record<string, string> {
  return {
    SMS_PROVIDER: 'infobip',
    VOICE_PROVIDER: 'infobip',
    INFOBIP_BASE_URL: infobip.url,
    INFOBIP_API_KEY: infobip.apiKey,
    INFOBIP_SENDER: 'Latchkey',
    EMAIL_PROVIDER: 'ses',
    AWS_REGION: 'eu-west-1',
    SES_ENDPOINT: ses.url,
    EMAIL_FROM: 'no-reply@latchkey.test',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    DELIVERY_RETRY_DELAY_MS: '200',
    DELIVERY_TIMEOUT_SECONDS: '2',
    DELIVERY_JOB_LOCK_SECONDS: '4',
  };
}

async function startWorker(): Promise<RunningProcess> {
  const port = await freePort();
  const process = runNode(builtEntry('apps/worker/src/main.js'), { ...workerEnv(), WORKER_PORT: String(port) });
  expect(await waitForStatus(`http://127.0.0.1:${port}/health/live`, 200, 20_000)).toBe(200);
  return process;
}

async function until<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; worker said:\n${worker?.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function events(challengeId: string, type: string) {
  const { rows } = await api.pg.query(`SELECT data FROM events WHERE stream_id = $1 AND type = $2 ORDER BY version`, [`login-${challengeId}`, type]);
  return rows.map((r) => r.data);
}

const digits = (phone: string) => phone.replace(/^\+/, '');

beforeAll(async () => {
  infobip = await InfobipPeer.start();
  ses = await SesPeer.start();
  redis = new TcpProxy('127.0.0.1', 6379);
  await redis.start();
  api = await startApi(LABEL, providerEnv());
  worker = await startWorker();
});

afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await redis?.stop();
  await infobip?.stop();
  await ses?.stop();
});

/**
 * The first append of an event of `type` fails (a trigger; the sequence it counts with is not
 * rolled back with the failed append, so only the first one): `tries` tells how many were made.
 */
async function failFirstAppendOf(type: string): Promise<{ tries: () => Promise<number>; undo: () => Promise<void> }> {
  await api.pg.query(`
    CREATE SEQUENCE test_fail_once;
    CREATE FUNCTION test_fail_first() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.type = ${escapeLiteral(type)} AND nextval('test_fail_once') = 1 THEN RAISE EXCEPTION 'injected failure'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER test_fail_first BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION test_fail_first();`);
  return {
    tries: async () => (await api.pg.query<{ n: number }>(`SELECT last_value::int AS n FROM test_fail_once`)).rows[0].n,
    undo: async () => void (await api.pg.query(`DROP TRIGGER test_fail_first ON events; DROP FUNCTION test_fail_first(); DROP SEQUENCE test_fail_once;`)),
  };
}

describe('codes reach the providers', () => {
  it('by SMS and by voice, in the user language, to the user number, each once', async () => {
    const user = await signUp(api.http, { phone: '+385981110001', locale: 'hr' });
    const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    const code = await codeOf(api, login.body.challengeId);
    const sms = await until(() => infobip.messages('sms').find((m) => m.to === digits('+385981110001')), 'the SMS');
    expect(sms.text).toContain(code);
    expect(sms.text).toMatch(/kôd/);
    expect(sms.from).toBe('Latchkey');
    await until(async () => (await events(login.body.challengeId, 'login.otp_delivered')).length === 1, 'OtpDelivered');

    api.clock.advance(31);
    await api.http.post('/auth/otp/resend').send({ challengeId: login.body.challengeId, channel: 'voice' }).expect(202);
    const voiceCode = await codeOf(api, login.body.challengeId);
    const call = await until(() => infobip.messages('voice').find((m) => m.to === digits('+385981110001')), 'the voice call');
    expect(call.language).toBe('hr');
    expect(call.text).toContain(voiceCode.split('').join(', '));
    const verified = await api.http.post('/auth/otp/verify').send({ challengeId: login.body.challengeId, code: voiceCode }).expect(200);
    expect(infobip.messages().filter((m) => m.to === digits('+385981110001'))).toHaveLength(2);
    // Each delivery names the user, so support finds it in the user's history (the worker's audit projection).
    const delivered = await until(async () => {
      const found = await events(login.body.challengeId, 'login.otp_delivered');
      return found.length === 2 ? found : undefined;
    }, 'both deliveries recorded');
    expect(delivered.map((d) => [d.channel, d.userId])).toEqual([
      ['sms', user.userId],
      ['voice', user.userId],
    ]);
    await auditCaughtUp(api);
    const history = await api.http.get(`/admin/users/${user.userId}/events`).set({ Authorization: `Bearer ${verified.body.accessToken}` }).expect(200);
    expect(history.body.filter((e: { type: string }) => e.type === 'login.otp_delivered').map((e: { data: { channel: string } }) => e.data.channel).sort()).toEqual(['sms', 'voice']);
  });

  it('by email through SES, with a text and an HTML body in the user language', async () => {
    const user = await signUp(api.http, { locale: 'fr' });
    const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    const code = await codeOf(api, login.body.challengeId);
    const mail = await until(async () => (await ses.emails()).find((m) => m.destination.to.includes(user.email)), 'the email');
    expect(mail.from).toContain('no-reply@latchkey.test');
    expect(mail.subject).toBe('Votre code de vérification');
    expect(mail.body.text).toContain(code);
    expect(mail.body.html).toContain(code);
    const status = await api.http.get(`/auth/otp/${login.body.challengeId}`).expect(200);
    expect(['pending', 'delivered']).toContain(status.body.delivery);
    await until(async () => (await api.http.get(`/auth/otp/${login.body.challengeId}`)).body.delivery === 'delivered', 'delivery: delivered');
  });
});

describe('security notices', () => {
  it('tells the user by email, once, when where their codes go changes', async () => {
    const phone = '+385981110018';
    const user = await signUp(api.http, { phone, locale: 'de' });
    const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    const verified = await api.http.post('/auth/otp/verify').send({ challengeId: login.body.challengeId, code: await codeOf(api, login.body.challengeId) }).expect(200);
    const bearer = { Authorization: `Bearer ${verified.body.accessToken}` };
    // The language alone is no such change; the channel is.
    await api.http.patch('/auth/me').set(bearer).send({ locale: 'en' }).expect(200);
    await api.http.patch('/auth/me').set(bearer).send({ twoFactorChannel: 'voice' }).expect(200);
    const notices = async () => (await ses.emails()).filter((m) => m.destination.to.includes(user.email) && /sign-in codes/.test(m.subject));
    const [notice] = await until(async () => ((await notices()).length > 0 ? notices() : undefined), 'the notice');
    expect(notice.subject).toBe('Your sign-in codes go somewhere new');
    expect(notice.body.text).toContain('by voice call to +385*****18');
    expect(notice.body.text).toContain('If you did not make this change');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await notices()).toHaveLength(1);
  });

  it('names a phone added to a user whose codes go by email (it can receive codes all the same)', async () => {
    const user = await signUp(api.http);
    const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    const verified = await api.http.post('/auth/otp/verify').send({ challengeId: login.body.challengeId, code: await codeOf(api, login.body.challengeId) }).expect(200);
    await api.http.patch('/auth/me').set({ Authorization: `Bearer ${verified.body.accessToken}` }).send({ phone: '+447911123456' }).expect(200);
    const notice = await until(async () => (await ses.emails()).find((m) => m.destination.to.includes(user.email) && /sign-in codes/.test(m.subject)), 'the notice');
    expect(notice.body.text).toContain('can now be sent to the phone number +44*****56');
    expect(notice.body.text).toContain('sent by email to');
  });
});

describe('security notices, password', () => {
  it('tells the user by email, once, when they change their password', async () => {
    const user = await signUp(api.http);
    const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    const verified = await api.http.post('/auth/otp/verify').send({ challengeId: login.body.challengeId, code: await codeOf(api, login.body.challengeId) }).expect(200);
    await api.http
      .post('/auth/me/password')
      .set({ Authorization: `Bearer ${verified.body.accessToken}` })
      .send({ currentPassword: user.password, newPassword: 'a changed passphrase here' })
      .expect(200);
    const notices = async () => (await ses.emails()).filter((m) => m.destination.to.includes(user.email) && /password/i.test(m.subject));
    const [notice] = await until(async () => ((await notices()).length > 0 ? notices() : undefined), 'the notice');
    expect(notice.subject).toBe('Your password was changed');
    expect(notice.body.text).not.toContain('a changed passphrase here');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await notices()).toHaveLength(1);
  });
});

describe('codes under load', () => {
  it('share provider requests, each sent once and recorded with its own job', async () => {
    const phones = Array.from({ length: 6 }, (_, i) => `+38598111020${i}`);
    const users = await Promise.all(phones.map((phone) => signUp(api.http, { phone })));
    const calls = infobip.callCount();
    // The first two requests (both lanes) take a while; the codes that come meanwhile wait and go together.
    infobip.failNext(2, 'slow');
    const logins = await Promise.all(users.map((u) => api.http.post('/auth/login').send({ login: u.email, password: u.password }).expect(200)));
    await until(() => phones.every((p) => infobip.messages('sms').some((m) => m.to === digits(p))), 'every SMS');
    expect(infobip.callCount() - calls).toBeLessThan(phones.length);

    for (const [i, login] of logins.entries()) {
      const sent = infobip.messages('sms').filter((m) => m.to === digits(phones[i]));
      expect(sent).toHaveLength(1);
      expect(sent[0].text).toContain(await codeOf(api, login.body.challengeId));
      // The delivery is recorded against the event that issued this code, in that event's correlation.
      const rows = await until(async () => {
        const found = await api.pg.query(
          `SELECT d.metadata AS delivered, s.id AS "sourceId", s.metadata AS source
             FROM events d JOIN events s ON s.id = (d.data->>'sourceEventId')::uuid
            WHERE d.stream_id = $1 AND d.type = 'login.otp_delivered'`,
          [`login-${login.body.challengeId}`],
        );
        return found.rows.length > 0 ? found.rows : undefined;
      }, 'OtpDelivered');
      expect(rows).toHaveLength(1);
      expect(rows[0].delivered).toMatchObject({ causationId: rows[0].sourceId, correlationId: rows[0].source.correlationId });
      expect(rows[0].delivered.correlationId).not.toBe(rows[0].delivered.causationId);
    }
    const { rows: delivered } = await api.pg.query<{ c: string }>(`SELECT metadata->>'correlationId' AS c FROM events WHERE stream_id = ANY($1) AND type = 'login.otp_delivered'`, [
      logins.map((l) => `login-${l.body.challengeId}`),
    ]);
    expect(delivered).toHaveLength(phones.length);
    const correlations = new Set(delivered.map((r) => r.c));
    expect(correlations.size).toBe(phones.length);
  });
});

describe('faults: no code lost, none sent twice', () => {
  it('retries a provider answering 500 three times, then delivers once', async () => {
    const phone = '+385981110002';
    const user = await signUp(api.http, { phone });
    infobip.failNext(3, 'server-error');
    const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    const sms = await until(() => infobip.messages('sms').find((m) => m.to === digits(phone)), 'the SMS after three 500s');
    expect(sms.text).toContain(await codeOf(api, login.body.challengeId));
    await new Promise((r) => setTimeout(r, 1000));
    expect(infobip.messages('sms').filter((m) => m.to === digits(phone))).toHaveLength(1);
    expect(await events(login.body.challengeId, 'login.otp_delivered')).toHaveLength(1);
    expect(await events(login.body.challengeId, 'login.delivery_failed')).toEqual([]);
  });

  it('records a refusal (400) as DeliveryFailed and sends a new code on the next channel at once', async () => {
    const phone = '+385981110003';
    const user = await signUp(api.http, { phone });
    infobip.failNext(1, 'bad-request');
    const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    expect(login.body.channel).toBe('sms');
    const [failed] = await until(async () => {
      const found = await events(login.body.challengeId, 'login.delivery_failed');
      return found.length > 0 ? found : undefined;
    }, 'DeliveryFailed');
    expect(failed).toMatchObject({ channel: 'sms', userId: user.userId, reason: expect.stringContaining('rejected') });
    const call = await until(() => infobip.messages('voice').find((m) => m.to === digits(phone)), 'the fallback voice call');
    const code = await codeOf(api, login.body.challengeId);
    expect(call.text).toContain(code.split('').join(', '));
    const status = await api.http.get(`/auth/otp/${login.body.challengeId}`).expect(200);
    expect(status.body).toMatchObject({ channel: 'voice', availableChannels: ['voice'] });
    await api.http.post('/auth/otp/verify').send({ challengeId: login.body.challengeId, code }).expect(200);
    expect(infobip.messages('sms').filter((m) => m.to === digits(phone))).toEqual([]);
  });

  it('sends the code by email as the last resort when the provider refuses both phone channels', async () => {
    const phone = '+385981110018';
    const user = await signUp(api.http, { phone });
    infobip.refuseDestination(digits(phone));
    const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    expect(login.body).toMatchObject({ channel: 'sms', availableChannels: ['sms', 'voice'] });
    const mail = await until(async () => (await ses.emails()).find((m) => m.destination.to.includes(user.email)), 'the email after SMS and voice were refused');
    const code = await codeOf(api, login.body.challengeId);
    expect(JSON.stringify(mail)).toContain(code);
    const failures = await events(login.body.challengeId, 'login.delivery_failed');
    expect(failures.map((f) => f.channel).sort()).toEqual(['sms', 'voice']);
    const status = await api.http.get(`/auth/otp/${login.body.challengeId}`).expect(200);
    expect(status.body).toMatchObject({ channel: 'email', availableChannels: ['email'] });
    await api.http.post('/auth/otp/verify').send({ challengeId: login.body.challengeId, code }).expect(200);
  });

  it('sends a new code on the next channel even when the failed one was the last of the hour', async () => {
    const phone = '+385981110016';
    const user = await signUp(api.http, { phone });
    const sent = () => infobip.messages('sms').filter((m) => m.to === digits(phone)).length;
    for (let i = 0; i < 4; i++) await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    await until(() => sent() === 4, 'four codes by SMS');
    // The fifth code of the hour (the cap) is refused by the provider: the voice call still comes.
    infobip.failNext(1, 'bad-request');
    const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    const call = await until(() => infobip.messages('voice').find((m) => m.to === digits(phone)), 'the fallback voice call');
    const code = await codeOf(api, login.body.challengeId);
    expect(call.text).toContain(code.split('').join(', '));
    await api.http.post('/auth/otp/verify').send({ challengeId: login.body.challengeId, code }).expect(200);
    // The cap itself still holds for codes the user asks for.
    await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(429);
  });

  it('sends nothing for a code a resend made void before it went out', async () => {
    const phone = '+385981110017';
    const user = await signUp(api.http, { phone });
    await worker!.stop();
    const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    expect(login.body.channel).toBe('sms');
    api.clock.advance(31);
    await api.http.post('/auth/otp/resend').send({ challengeId: login.body.challengeId, channel: 'voice' }).expect(202);
    worker = await startWorker();
    const call = await until(() => infobip.messages('voice').find((m) => m.to === digits(phone)), 'the voice code');
    const code = await codeOf(api, login.body.challengeId);
    expect(call.text).toContain(code.split('').join(', '));
    await new Promise((r) => setTimeout(r, 1500));
    expect(infobip.messages('sms').filter((m) => m.to === digits(phone))).toEqual([]);
    await api.http.post('/auth/otp/verify').send({ challengeId: login.body.challengeId, code }).expect(200);
  });

  it('delivers a code committed while Redis is away once Redis is back (10 s later)', async () => {
    const phone = '+385981110004';
    const user = await signUp(api.http, { phone });
    await redis.cut();
    const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    await new Promise((r) => setTimeout(r, 10_000));
    expect(infobip.messages('sms').filter((m) => m.to === digits(phone))).toEqual([]);
    await redis.start();
    const sms = await until(() => infobip.messages('sms').find((m) => m.to === digits(phone)), 'the SMS after Redis came back', 30_000);
    expect(sms.text).toContain(await codeOf(api, login.body.challengeId));
    await new Promise((r) => setTimeout(r, 1000));
    expect(infobip.messages('sms').filter((m) => m.to === digits(phone))).toHaveLength(1);
  });

  it('sends once when Redis goes away between the provider accepting and the acceptance being remembered', async () => {
    // A chaos probe's case: the write of the acceptance failed, the job was retried in the same
    // worker, and the retry, finding nothing in Redis, sent the code a second time.
    const phone = '+385981110009';
    const user = await signUp(api.http, { phone });
    infobip.failNext(1, 'slow');
    const calls = infobip.callCount();
    const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    await until(() => infobip.callCount() > calls, 'the send to reach the provider');
    await redis.cut();
    await until(() => infobip.messages('sms').some((m) => m.to === digits(phone)), 'the provider to accept');
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();
    await until(async () => (await events(login.body.challengeId, 'login.otp_delivered')).length === 1, 'the delivery to be recorded', 30_000);
    // Long enough for the job's lock to lapse and the job to run again (DELIVERY_JOB_LOCK_SECONDS = 4).
    await new Promise((r) => setTimeout(r, 7000));
    expect(infobip.messages('sms').filter((m) => m.to === digits(phone))).toHaveLength(1);
    expect(await events(login.body.challengeId, 'login.otp_delivered')).toHaveLength(1);
    await api.http.post('/auth/otp/verify').send({ challengeId: login.body.challengeId, code: await codeOf(api, login.body.challengeId) }).expect(200);
  });

  it('delivers once after the worker is killed (SIGKILL) in the middle of a send', async () => {
    const phone = '+385981110005';
    const user = await signUp(api.http, { phone });
    const calls = infobip.callCount();
    infobip.failNext(1, 'hang');
    const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    await until(() => infobip.callCount() > calls, 'the send to start');
    await worker!.stop('SIGKILL');
    worker = await startWorker();
    const sms = await until(() => infobip.messages('sms').find((m) => m.to === digits(phone)), 'the SMS from the new worker', 30_000);
    expect(sms.text).toContain(await codeOf(api, login.body.challengeId));
    await new Promise((r) => setTimeout(r, 1000));
    expect(infobip.messages('sms').filter((m) => m.to === digits(phone))).toHaveLength(1);
    expect(await events(login.body.challengeId, 'login.otp_delivered')).toHaveLength(1);
  });

  it('records the failure and sends a new code on the next channel when the worker keeps dying during a send', async () => {
    // A chaos probe's case: runs of the same job that die with their worker (here: killed while
    // the provider holds the request). BullMQ alone would fail such a job without running it,
    // and nobody would learn that the code is not coming.
    const phone = '+385981110008';
    const user = await signUp(api.http, { phone });
    infobip.failNext(3, 'hang');
    let calls = infobip.callCount();
    const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
    for (let run = 1; run <= 3; run++) {
      await until(() => infobip.callCount() > calls, `run ${run} of the send to reach the provider`, 40_000);
      calls = infobip.callCount();
      await worker!.stop('SIGKILL');
      worker = await startWorker();
    }
    const [failed] = await until(async () => {
      const found = await events(login.body.challengeId, 'login.delivery_failed');
      return found.length > 0 ? found : undefined;
    }, 'DeliveryFailed after the third stall', 40_000);
    expect(failed).toMatchObject({ channel: 'sms', userId: user.userId, reason: 'stalled_too_often' });
    const call = await until(() => infobip.messages('voice').find((m) => m.to === digits(phone)), 'the fallback voice call');
    expect(call.text).toContain((await codeOf(api, login.body.challengeId)).split('').join(', '));
    // Nothing reached the user by SMS (every run hung), and the code that failed was not sent once more.
    expect(infobip.messages('sms').filter((m) => m.to === digits(phone))).toHaveLength(0);
    expect(infobip.callCount()).toBe(calls + 1);
  }, 120_000);

  it('does not send again when the provider accepted but recording the delivery failed', async () => {
    // The first OtpDelivered append fails: the SMS went out and its acceptance was remembered,
    // then the job failed and is retried.
    const injected = await failFirstAppendOf('login.otp_delivered');
    try {
      const phone = '+385981110006';
      const user = await signUp(api.http, { phone });
      const login = await api.http.post('/auth/login').send({ login: user.email, password: user.password }).expect(200);
      const delivered = await until(async () => (await events(login.body.challengeId, 'login.otp_delivered'))[0], 'the delivery to be recorded on the retry');
      expect(await injected.tries()).toBeGreaterThanOrEqual(2);
      const sms = infobip.messages('sms').filter((m) => m.to === digits(phone));
      expect(sms).toHaveLength(1);
      expect(sms[0].text).toContain(await codeOf(api, login.body.challengeId));
      expect(delivered).toMatchObject({ channel: 'sms', provider: 'infobip' });
      await new Promise((r) => setTimeout(r, 1000));
      expect(infobip.messages('sms').filter((m) => m.to === digits(phone))).toHaveLength(1);
      expect(await events(login.body.challengeId, 'login.otp_delivered')).toHaveLength(1);
    } finally {
      await injected.undo();
    }
  });

  it('does not send a reset email again when SES accepted it but recording it failed', async () => {
    const injected = await failFirstAppendOf('reset.email_sent');
    try {
      const user = await signUp(api.http);
      await api.http.post('/auth/password/forgot').send({ login: user.email }).expect(202);
      const sent = await until(async () => {
        const { rows } = await api.pg.query(`SELECT data FROM events WHERE type = 'reset.email_sent' AND stream_id IN (SELECT stream_id FROM events WHERE type = 'reset.requested' AND data->>'userId' = $1)`, [user.userId]);
        return rows[0]?.data as { provider: string; userId?: string } | undefined;
      }, 'the email to be recorded on the retry');
      expect(await injected.tries()).toBeGreaterThanOrEqual(2);
      expect(sent).toMatchObject({ provider: 'ses', userId: user.userId });
      await new Promise((r) => setTimeout(r, 1000));
      const mails = (await ses.emails()).filter((m) => m.destination.to.includes(user.email));
      expect(mails).toHaveLength(1);
      expect(mails[0].body.text).toContain('/reset-password?token=');
    } finally {
      await injected.undo();
    }
  });

  it('sends nothing again when the relay restarts from checkpoint 0', async () => {
    const before = infobip.messages().length;
    const mailsBefore = (await ses.emails()).length;
    const deliveredBefore = (await api.pg.query(`SELECT count(*)::int AS n FROM events WHERE type = 'login.otp_delivered'`)).rows[0].n;
    expect(before).toBeGreaterThan(3);
    await worker!.stop();
    await api.pg.query(`UPDATE subscriptions SET last_transaction_id = '0', last_position = 0 WHERE name = 'relay'`);
    worker = await startWorker();
    await until(async () => (await api.pg.query(CAUGHT_UP_SQL, ['relay'])).rows[0].caughtUp === true, 'the relay to replay everything');
    await new Promise((r) => setTimeout(r, 2000));
    expect(infobip.messages()).toHaveLength(before);
    expect(await ses.emails()).toHaveLength(mailsBefore);
    expect((await api.pg.query(`SELECT count(*)::int AS n FROM events WHERE type = 'login.otp_delivered'`)).rows[0].n).toBe(deliveredBefore);
  });
});
