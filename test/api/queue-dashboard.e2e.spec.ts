import { startApi, type TestApi } from '@latchkey/testing';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('queue dashboard at /ops/queues', () => {
  describe('with QUEUE_DASHBOARD_USER and QUEUE_DASHBOARD_PASSWORD', () => {
    let api: TestApi;

    beforeAll(async () => {
      api = await startApi('dashboard', { QUEUE_DASHBOARD_USER: 'ops', QUEUE_DASHBOARD_PASSWORD: 'dashboard-secret-42' });
    });

    afterAll(() => api.close());

    it('asks for basic auth, and refuses a wrong password', async () => {
      const anonymous = await api.http.get('/ops/queues').expect(401);
      expect(anonymous.headers['www-authenticate']).toMatch(/^Basic /);
      await api.http.get('/ops/queues').set('Authorization', basic('ops', 'wrong')).expect(401);
      await api.http.get('/ops/queues/api/queues').set('Authorization', basic('other', 'dashboard-secret-42')).expect(401);
    });

    it('shows the delivery queues to the operator', async () => {
      const page = await api.http.get('/ops/queues').set('Authorization', basic('ops', 'dashboard-secret-42')).expect(200);
      expect(page.text).toContain('<html');
      const queues = await api.http.get('/ops/queues/api/queues').set('Authorization', basic('ops', 'dashboard-secret-42')).expect(200);
      const names = (queues.body.queues as { name: string }[]).map((q) => q.name).sort();
      expect(names).toEqual(['email', 'otp-email', 'otp-sms', 'otp-voice']);
    });
  });

  describe('without them', () => {
    let api: TestApi;

    beforeAll(async () => {
      api = await startApi('no_dashboard');
    });

    afterAll(() => api.close());

    it('is not there at all', async () => {
      await api.http.get('/ops/queues').expect(404);
      await api.http.get('/ops/queues').set('Authorization', basic('ops', 'x')).expect(404);
    });
  });
});
