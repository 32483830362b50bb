import { createServer, type Server, type Socket } from 'node:net';
import { Test } from '@nestjs/testing';
import { ConfigModule, loadConfig, type AppConfig } from '@latchkey/config';
import {
  ConsoleEmail,
  ConsoleSms,
  ConsoleVoice,
  DeliveryModule,
  EmailChannel,
  InfobipSms,
  InfobipVoice,
  PermanentDeliveryError,
  SesEmail,
  SmsChannel,
  TransientDeliveryError,
  VoiceChannel,
  render,
  type DeliveryError,
} from '@latchkey/delivery';
import { InfobipPeer } from '../peers/infobip.peer';
import { SesPeer } from '../peers/ses.peer';
import { freePort } from '../support/processes';

/**
 * The provider adapters over real HTTP: Infobip's SMS and voice APIs against an
 * Infobip-compatible server, SES's SendEmail against aws-ses-v2-local.
 */
let infobip: InfobipPeer;
let ses: SesPeer;

const PHONE = '+385981112233';
const DUMMY_AWS = { accessKeyId: 'AKIDLOCALPEER', secretAccessKey: 'local-peer-secret' };

beforeAll(async () => {
  [infobip, ses] = await Promise.all([InfobipPeer.start(), SesPeer.start()]);
});

afterAll(async () => {
  await Promise.all([infobip?.stop(), ses?.stop()]);
});

beforeEach(async () => {
  infobip.clear();
  await ses.clear();
});

function infobipEnv(): Record<string, string> {
  return { SMS_PROVIDER: 'infobip', VOICE_PROVIDER: 'infobip', INFOBIP_BASE_URL: infobip.url, INFOBIP_API_KEY: infobip.apiKey, INFOBIP_SENDER: 'Latchkey' };
}

function sesEnv(): Record<string, string> {
  return { EMAIL_PROVIDER: 'ses', AWS_REGION: 'eu-west-1', SES_ENDPOINT: ses.url, EMAIL_FROM: 'no-reply@latchkey.test' };
}

const infobipConfig = (overrides: Record<string, string> = {}): AppConfig => loadConfig({ ...infobipEnv(), ...overrides });
const sesConfig = (overrides: Record<string, string> = {}): AppConfig => loadConfig({ ...sesEnv(), ...overrides });

/** The error a send failed with (the test fails if it succeeded). */
async function failure(send: Promise<unknown>): Promise<DeliveryError> {
  try {
    await send;
  } catch (error) {
    return error as DeliveryError;
  }
  throw new Error('the send succeeded');
}

/** A TCP endpoint that accepts connections and never answers. */
async function silentServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('Infobip SMS', () => {
  it('reaches Infobip with the destination, the text, the sender and the App key', async () => {
    const { text } = render('otp-sms', 'hr', { code: '402913' });
    const accepted = await new InfobipSms(infobipConfig()).send({ to: PHONE, text, idempotencyKey: 'evt-sms-1' });

    expect(accepted).toEqual({ provider: 'infobip', providerMessageId: 'evt-sms-1' });
    expect(infobip.messages('sms')).toEqual([expect.objectContaining({ to: '385981112233', text, from: 'Latchkey', messageId: 'evt-sms-1' })]);
    expect(infobip.messages('sms')[0]!.text).toContain('kôd');
  });

  it("answers with Infobip's own message id when the send carries no idempotency key", async () => {
    const accepted = await new InfobipSms(infobipConfig()).send({ to: PHONE, text: 'hello' });
    expect(accepted.providerMessageId).toBe(infobip.messages('sms')[0]!.messageId);
    expect(accepted.providerMessageId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('is refused for good with a wrong API key, and nothing is sent', async () => {
    const error = await failure(new InfobipSms(infobipConfig({ INFOBIP_API_KEY: 'not-the-key' })).send({ to: PHONE, text: 'hello' }));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error).toMatchObject({ provider: 'infobip', status: 401, reason: 'unauthorized', providerCode: 'UNAUTHORIZED' });
    expect(infobip.messages()).toEqual([]);
  });

  it('turns a 400 into a PermanentDeliveryError that repeats no number, text or key', async () => {
    infobip.failNext(1, 'bad-request');
    const error = await failure(new InfobipSms(infobipConfig()).send({ to: PHONE, text: 'Your code is 402913' }));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error).toMatchObject({ status: 400, reason: 'rejected', providerCode: 'E400', retryable: false });
    for (const secret of ['385981112233', '402913', infobip.apiKey]) expect(`${error.message} ${error.stack}`).not.toContain(secret);
  });

  it('treats a 200 whose message status is REJECTED as a permanent refusal', async () => {
    infobip.failNext(1, 'rejected');
    const error = await failure(new InfobipSms(infobipConfig()).send({ to: PHONE, text: 'hello' }));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error).toMatchObject({ reason: 'rejected', providerCode: 'REJECTED_DESTINATION' });
    expect(infobip.messages()).toEqual([]);
  });

  it('turns 500 into TransientDeliveryError three times, then sends once when Infobip recovers', async () => {
    const sms = new InfobipSms(infobipConfig());
    infobip.failNext(3, 'server-error');
    for (let attempt = 0; attempt < 3; attempt++) {
      const error = await failure(sms.send({ to: PHONE, text: 'hello', idempotencyKey: 'evt-retried' }));
      expect(error).toBeInstanceOf(TransientDeliveryError);
      expect(error).toMatchObject({ status: 500, reason: 'provider_error', providerCode: 'GENERAL_ERROR', retryable: true });
    }
    await expect(sms.send({ to: PHONE, text: 'hello', idempotencyKey: 'evt-retried' })).resolves.toEqual({ provider: 'infobip', providerMessageId: 'evt-retried' });
    expect(infobip.callCount()).toBe(4);
    expect(infobip.messages()).toHaveLength(1);
  });

  it('retries when Infobip asks to slow down (429)', async () => {
    infobip.failNext(1, 'rate-limited');
    const error = await failure(new InfobipSms(infobipConfig()).send({ to: PHONE, text: 'hello' }));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(error).toMatchObject({ status: 429, reason: 'rate_limited' });
  });

  it('gives up waiting after DELIVERY_TIMEOUT_SECONDS when Infobip never answers, as a TransientDeliveryError', async () => {
    infobip.failNext(1, 'hang');
    const started = Date.now();
    const error = await failure(new InfobipSms(infobipConfig({ DELIVERY_TIMEOUT_SECONDS: '1' })).send({ to: PHONE, text: 'hello' }));
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(error).toMatchObject({ reason: 'timeout', status: undefined });
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(5000);
  });

  it('retries when nothing listens at INFOBIP_BASE_URL', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const error = await failure(new InfobipSms(infobipConfig({ INFOBIP_BASE_URL: closed })).send({ to: PHONE, text: 'hello' }));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(error).toMatchObject({ reason: 'unreachable', providerCode: 'ECONNREFUSED' });
  });
});

describe('Infobip, several messages in one request', () => {
  const three = ['+385981110101', '+385981110102', '+385981110103'].map((to, i) => ({ to, text: `code ${i}`, idempotencyKey: `evt-many-${i}` }));

  it('sends them in one request and answers each with its own message id, in order', async () => {
    const answers = await new InfobipSms(infobipConfig()).sendMany(three);
    expect(answers).toEqual(three.map((m) => ({ provider: 'infobip', providerMessageId: m.idempotencyKey })));
    expect(infobip.callCount()).toBe(1);
    expect(infobip.messages('sms').map((m) => [m.to, m.text, m.messageId])).toEqual(three.map((m) => [m.to.slice(1), m.text, m.idempotencyKey]));
  });

  it('keeps a refusal of one message with that message: the others are accepted', async () => {
    infobip.refuseDestination('385981110102');
    const answers = await new InfobipSms(infobipConfig()).sendMany(three);
    expect(answers[0]).toEqual({ provider: 'infobip', providerMessageId: 'evt-many-0' });
    expect(answers[1]).toMatchObject({ constructor: PermanentDeliveryError, reason: 'rejected', providerCode: 'REJECTED_DESTINATION' });
    expect(answers[2]).toEqual({ provider: 'infobip', providerMessageId: 'evt-many-2' });
    expect(infobip.messages('sms').map((m) => m.messageId)).toEqual(['evt-many-0', 'evt-many-2']);
  });

  it('sends each alone after a 400 for the whole request, so one bad message does not sink the others', async () => {
    infobip.failNext(1, 'bad-request');
    const answers = await new InfobipSms(infobipConfig()).sendMany(three);
    expect(answers).toEqual(three.map((m) => ({ provider: 'infobip', providerMessageId: m.idempotencyKey })));
    expect(infobip.callCount()).toBe(4);
    expect(infobip.messages('sms')).toHaveLength(3);
  });

  it('gives every message the error of a request that failed as a whole (500, no answer), and sends none', async () => {
    infobip.failNext(1, 'server-error');
    const answers = await new InfobipVoice(infobipConfig()).callMany(three.map((m) => ({ ...m, language: 'en' })));
    expect(answers).toHaveLength(3);
    for (const answer of answers) expect(answer).toMatchObject({ constructor: TransientDeliveryError, status: 500 });
    expect(infobip.callCount()).toBe(1);
    expect(infobip.messages()).toEqual([]);
  });
});

describe('Infobip voice', () => {
  it('calls with the destination, the text, the language of the locale and the numeric caller id', async () => {
    const { text } = render('otp-voice', 'de-AT', { code: '402913' });
    const accepted = await new InfobipVoice(infobipConfig({ INFOBIP_SENDER: '+385912345678' })).call({
      to: PHONE,
      text,
      language: 'de-AT',
      idempotencyKey: 'evt-voice-1',
    });

    expect(accepted).toEqual({ provider: 'infobip', providerMessageId: 'evt-voice-1' });
    expect(infobip.messages('voice')).toEqual([
      expect.objectContaining({ to: '385981112233', text, language: 'de', from: '385912345678', messageId: 'evt-voice-1', speechRate: 0.9 }),
    ]);
    expect(text).toContain('4, 0, 2, 9, 1, 3');
  });

  it("speaks each supported language with Infobip's voice for it", async () => {
    const voice = new InfobipVoice(infobipConfig());
    for (const language of ['en', 'de', 'es', 'fr', 'hr']) {
      await voice.call({ to: PHONE, text: render('otp-voice', language, { code: '402913' }).text, language });
    }
    expect(infobip.messages('voice').map((m) => m.language)).toEqual(['en', 'de', 'es', 'fr', 'hr']);
  });

  it('leaves the caller id to Infobip when INFOBIP_SENDER is a name, which a call cannot show', async () => {
    await new InfobipVoice(infobipConfig({ INFOBIP_SENDER: 'Latchkey' })).call({ to: PHONE, text: 'hello', language: 'en' });
    expect(infobip.messages('voice')[0]!.from).toBeUndefined();
  });

  it('turns a 400 into a PermanentDeliveryError and a 500 into a TransientDeliveryError', async () => {
    const voice = new InfobipVoice(infobipConfig());
    infobip.failNext(1, 'bad-request');
    expect(await failure(voice.call({ to: PHONE, text: 'hello', language: 'en' }))).toMatchObject({
      constructor: PermanentDeliveryError,
      status: 400,
      providerCode: 'BAD_REQUEST',
    });
    infobip.failNext(1, 'server-error');
    expect(await failure(voice.call({ to: PHONE, text: 'hello', language: 'en' }))).toMatchObject({ constructor: TransientDeliveryError, status: 500 });
    expect(infobip.messages()).toEqual([]);
  });

  it('gives up waiting after DELIVERY_TIMEOUT_SECONDS when the voice API never answers', async () => {
    infobip.failNext(1, 'hang');
    const error = await failure(new InfobipVoice(infobipConfig({ DELIVERY_TIMEOUT_SECONDS: '1' })).call({ to: PHONE, text: 'hello', language: 'en' }));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(error.reason).toBe('timeout');
  });
});

describe('SES email', () => {
  it('sends through SES: the mail has the sender, the recipient, the subject and both bodies, in UTF-8', async () => {
    const email = render('otp-email', 'de', { code: '402913', expiresInSeconds: 300 });
    const adapter = new SesEmail(sesConfig(), { credentials: DUMMY_AWS });
    try {
      const accepted = await adapter.send({ to: 'ana@example.com', ...email, idempotencyKey: 'evt-email-1' });
      const stored = await ses.emails();
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({
        messageId: accepted.providerMessageId,
        from: 'no-reply@latchkey.test',
        destination: { to: ['ana@example.com'], cc: [], bcc: [] },
        subject: 'Ihr Bestätigungscode',
        body: { text: email.text, html: email.html },
      });
      expect(accepted.provider).toBe('ses');
      expect(stored[0]!.body.text).toContain('402913');
      expect(stored[0]!.body.html).toContain('läuft in 5 Minuten ab');
    } finally {
      adapter.onModuleDestroy();
    }
  });

  it('turns a message SES refuses (400) into a PermanentDeliveryError', async () => {
    const adapter = new SesEmail(sesConfig(), { credentials: DUMMY_AWS });
    try {
      // aws-ses-v2-local refuses an empty subject, as SES does.
      const error = await failure(adapter.send({ to: 'ana@example.com', subject: '', text: 'hello', html: '<p>hello</p>' }));
      expect(error).toBeInstanceOf(PermanentDeliveryError);
      expect(error).toMatchObject({ provider: 'ses', status: 400, reason: 'rejected' });
      expect(error.message).not.toContain('ana@example.com');
      expect(await ses.emails()).toEqual([]);
    } finally {
      adapter.onModuleDestroy();
    }
  });

  it('retries when nothing listens at SES_ENDPOINT', async () => {
    const adapter = new SesEmail(sesConfig({ SES_ENDPOINT: `http://127.0.0.1:${await freePort()}` }), { credentials: DUMMY_AWS });
    try {
      const error = await failure(adapter.send({ to: 'ana@example.com', subject: 'Hi', text: 'hello', html: '<p>hello</p>' }));
      expect(error).toBeInstanceOf(TransientDeliveryError);
      // No socket code here: under jest's sandbox the SDK wraps the other realm's error and drops it.
      expect(error).toMatchObject({ reason: 'unreachable', status: undefined });
    } finally {
      adapter.onModuleDestroy();
    }
  });

  it('gives up waiting after DELIVERY_TIMEOUT_SECONDS when SES never answers, as a TransientDeliveryError', async () => {
    const silent = await silentServer();
    const adapter = new SesEmail(sesConfig({ SES_ENDPOINT: silent.url, DELIVERY_TIMEOUT_SECONDS: '1' }), { credentials: DUMMY_AWS });
    try {
      const started = Date.now();
      const error = await failure(adapter.send({ to: 'ana@example.com', subject: 'Hi', text: 'hello', html: '<p>hello</p>' }));
      expect(error).toBeInstanceOf(TransientDeliveryError);
      expect(error.reason).toBe('timeout');
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      adapter.onModuleDestroy();
      await silent.close();
    }
  });
});

describe('DeliveryModule', () => {
  async function channels(config: AppConfig) {
    const module = await Test.createTestingModule({ imports: [ConfigModule.forRoot(config), DeliveryModule] }).compile();
    return { module, sms: module.get(SmsChannel), voice: module.get(VoiceChannel), email: module.get(EmailChannel) };
  }

  it('prints to the console unless a provider is configured', async () => {
    const { module, sms, voice, email } = await channels(loadConfig({}));
    expect([sms, voice, email]).toEqual([expect.any(ConsoleSms), expect.any(ConsoleVoice), expect.any(ConsoleEmail)]);
    await module.close();
  });

  it('gives the worker Infobip and SES when configured, and its SMS reaches Infobip', async () => {
    const { module, sms, voice, email } = await channels(loadConfig({ ...infobipEnv(), ...sesEnv() }));
    try {
      expect([sms, voice, email]).toEqual([expect.any(InfobipSms), expect.any(InfobipVoice), expect.any(SesEmail)]);
      await sms.send({ to: PHONE, text: 'hello', idempotencyKey: 'evt-module' });
      expect(infobip.messages('sms')).toEqual([expect.objectContaining({ messageId: 'evt-module', to: '385981112233' })]);
    } finally {
      await module.close();
    }
  });

  it('refuses SMS_PROVIDER=infobip without INFOBIP_SENDER at configuration time, naming the variable', () => {
    expect(() => loadConfig({ SMS_PROVIDER: 'infobip', INFOBIP_BASE_URL: infobip.url, INFOBIP_API_KEY: 'k' })).toThrow(/INFOBIP_SENDER is missing/);
  });
});
