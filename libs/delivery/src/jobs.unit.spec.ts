import { missingJobHandlers } from './jobs';
import { QueueName } from './queues';

describe('job handler check at worker start', () => {
  const otp = (queue: QueueName) => ({ queue, jobTypes: ['deliver-otp'] });

  it('passes when every served queue handles every job type routed to it', () => {
    expect(missingJobHandlers([QueueName.OtpSms, QueueName.OtpEmail], [otp(QueueName.OtpSms), otp(QueueName.OtpEmail)])).toEqual([]);
  });

  it('names a served queue whose job type has no handler', () => {
    expect(missingJobHandlers([QueueName.OtpSms, QueueName.OtpVoice], [otp(QueueName.OtpSms)])).toEqual([
      'queue otp-voice has no handler for job type deliver-otp',
    ]);
  });

  it('names a job type handled twice on one queue', () => {
    expect(missingJobHandlers([QueueName.OtpSms], [otp(QueueName.OtpSms), otp(QueueName.OtpSms)])).toEqual([
      'queue otp-sms has 2 handlers for job type deliver-otp',
    ]);
  });

  it('does not ask for handlers of queues this process does not serve (WORKER_QUEUES)', () => {
    expect(missingJobHandlers([QueueName.OtpEmail], [otp(QueueName.OtpEmail)])).toEqual([]);
    expect(missingJobHandlers([QueueName.Email], [], { 'send-email': [QueueName.Email] })).toEqual(['queue email has no handler for job type send-email']);
  });
});
