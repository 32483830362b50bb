import { Processor, WorkerHost } from '@nestjs/bullmq';
import { JOB_DELIVER_OTP, QUEUE_SETTINGS, QueueName, type Accepted, type DeliverOtpJob } from '@latchkey/delivery';
import { UnrecoverableError, type Job } from 'bullmq';
import { OtpDelivery, UndeliverableError } from './otp-delivery.service';

abstract class OtpProcessor extends WorkerHost {
  constructor(private readonly delivery: OtpDelivery) {
    super();
  }

  async process(job: Job<DeliverOtpJob>): Promise<Accepted> {
    if (job.name !== JOB_DELIVER_OTP) throw new UnrecoverableError(`no handler for job type ${job.name}`);
    try {
      return await this.delivery.deliver(job.data);
    } catch (error) {
      if (error instanceof UndeliverableError) throw new UnrecoverableError(error.message);
      throw error;
    }
  }
}

@Processor(QueueName.OtpSms, { concurrency: QUEUE_SETTINGS[QueueName.OtpSms].concurrency, limiter: { max: QUEUE_SETTINGS[QueueName.OtpSms].limiter.max, duration: QUEUE_SETTINGS[QueueName.OtpSms].limiter.durationMs } })
export class OtpSmsProcessor extends OtpProcessor {
  constructor(delivery: OtpDelivery) {
    super(delivery);
  }
}

@Processor(QueueName.OtpVoice, { concurrency: QUEUE_SETTINGS[QueueName.OtpVoice].concurrency, limiter: { max: QUEUE_SETTINGS[QueueName.OtpVoice].limiter.max, duration: QUEUE_SETTINGS[QueueName.OtpVoice].limiter.durationMs } })
export class OtpVoiceProcessor extends OtpProcessor {
  constructor(delivery: OtpDelivery) {
    super(delivery);
  }
}

@Processor(QueueName.OtpEmail, { concurrency: QUEUE_SETTINGS[QueueName.OtpEmail].concurrency, limiter: { max: QUEUE_SETTINGS[QueueName.OtpEmail].limiter.max, duration: QUEUE_SETTINGS[QueueName.OtpEmail].limiter.durationMs } })
export class OtpEmailProcessor extends OtpProcessor {
  constructor(delivery: OtpDelivery) {
    super(delivery);
  }
}
