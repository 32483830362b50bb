import { InfobipPeer } from './infobip.peer';

/** The Infobip peer itself speaks the protocol the adapters and the fault tests rely on. */
let peer: InfobipPeer;

beforeAll(async () => {
  peer = await InfobipPeer.start({ apiKey: 'peer-test-key' });
});

afterAll(async () => {
  await peer.stop();
});

beforeEach(() => peer.clear());

async function post(path: string, body: unknown, key = 'peer-test-key'): Promise<{ status: number; body: any }> {
  const res = await fetch(`${peer.url}${path}`, {
    method: 'POST',
    headers: { Authorization: `App ${key}`, 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, body: await res.json() };
}

const SMS = { messages: [{ sender: 'Latchkey', destinations: [{ to: '385981112233' }], content: { text: 'hello' } }] };

describe('Infobip peer', () => {
  it('accepts an SMS like Infobip: a PENDING entry per destination with its message id', async () => {
    const answer = await post('/sms/3/messages', SMS);
    expect(answer.status).toBe(200);
    expect(answer.body.messages).toEqual([
      { messageId: expect.any(String), status: expect.objectContaining({ groupName: 'PENDING' }), destination: '385981112233', details: { messageCount: 1 } },
    ]);
    expect(peer.messages('sms')).toEqual([expect.objectContaining({ messageId: answer.body.messages[0].messageId, to: '385981112233', text: 'hello' })]);
  });

  it('answers 401 without the right App key, and records nothing', async () => {
    const answer = await post('/sms/3/messages', SMS, 'wrong');
    expect(answer).toEqual({ status: 401, body: { requestError: { serviceException: { messageId: 'UNAUTHORIZED', text: 'Invalid login details' } } } });
    expect(peer.messages()).toEqual([]);
  });

  it('answers 400 with the violations when the body has the wrong shape', async () => {
    const sms = await post('/sms/3/messages', { messages: [{ destinations: [{ to: '+385 98' }], text: 'v2 style' }] });
    expect(sms.status).toBe(400);
    expect(sms.body).toMatchObject({ errorCode: 'E400' });
    expect(sms.body.violations.map((v: { property: string }) => v.property)).toEqual([
      'messages[0].sender',
      'messages[0].destinations[0].to',
      'messages[0].content.text',
    ]);
    const voice = await post('/tts/3/advanced', { messages: [{ destinations: [{ to: '385981112233' }], language: 'English' }] });
    expect(voice.status).toBe(400);
    expect(Object.keys(voice.body.requestError.serviceException.validationErrors)).toEqual(['messages[0].text', 'messages[0].language']);
    expect(await post('/sms/3/messages', '{not json')).toMatchObject({ status: 400 });
    expect(peer.messages()).toEqual([]);
  });

  it('fails the next calls as told, then accepts again', async () => {
    peer.failNext(1, 'server-error');
    peer.failNext(1, 'rate-limited');
    expect((await post('/sms/3/messages', SMS)).status).toBe(500);
    expect((await post('/sms/3/messages', SMS)).status).toBe(429);
    expect((await post('/sms/3/messages', SMS)).status).toBe(200);
    expect(peer.callCount()).toBe(3);
    expect(peer.messages()).toHaveLength(1);
  });

  it('leaves a hanging call unanswered until the caller gives up', async () => {
    peer.failNext(1, 'hang');
    const res = fetch(`${peer.url}/sms/3/messages`, { method: 'POST', body: JSON.stringify(SMS), signal: AbortSignal.timeout(300) });
    await expect(res).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
