import { Login } from './login.aggregate';
import type { Channel } from '../shared/roles';

const userId = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const accountId = '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e';

/** A challenge offering `channels`, its code on the first. */
function challenge(channels: Channel[]): Login {
  const login = new Login('3f1c1a2e-0a4b-4c5d-8e6f-7a8b9c0d1e2f');
  login.attempt({ method: 'password', login: 'ana', outcome: 'otp_required', reason: 'new_device', userId, accountId });
  const now = Date.now();
  login.requireTwoFactor(userId, accountId, 'new_device', {
    code: {
      channel: channels[0],
      destination: channels[0] === 'email' ? 'a***@example.com' : '+385*****67',
      codeHash: 'h'.repeat(64),
      sealed: 'v1.k.iv.ct',
      expiresAt: new Date(now + 300_000).toISOString(),
      resendAvailableAt: new Date(now + 30_000).toISOString(),
    },
    channels,
    blocked: [],
  });
  return login;
}

const fail = (login: Login, channel: Channel) => login.recordFailed(`evt-${channel}`, channel, 'refused', 5);

describe('a challenge whose deliveries fail', () => {
  it('offers email to a phone user only once both phone channels have failed, and nothing after email fails', () => {
    const login = challenge(['sms', 'voice']);
    fail(login, 'sms');
    expect(login.challenge!.availableChannels).toEqual(['voice']);
    fail(login, 'voice');
    expect(login.challenge!.availableChannels).toEqual(['email']);
    fail(login, 'email');
    expect(login.challenge!.availableChannels).toEqual([]);
  });

  it('never reopens email once it failed (a user who chose email, then both phone channels failed)', () => {
    const login = challenge(['email', 'sms', 'voice']);
    fail(login, 'email');
    expect(login.challenge!.availableChannels).toEqual(['sms', 'voice']);
    fail(login, 'sms');
    fail(login, 'voice');
    expect(login.challenge!.availableChannels).toEqual([]);
  });
});
