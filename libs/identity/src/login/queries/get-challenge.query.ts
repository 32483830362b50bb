import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { AggregateRepository } from '@latchkey/event-store';
import { ChallengeNotFoundError } from '../../shared/errors';
import type { Channel } from '../../shared/roles';
import { Login, type DeliveryState } from '../login.aggregate';

export interface ChallengeView {
  challengeId: string;
  channel: Channel;
  destination: string;
  availableChannels: Channel[];
  expiresAt: string;
  resendAvailableAt: string;
  /** Whether the current code reached a provider; after `failed` a new code is on its way on the next channel. */
  delivery: DeliveryState;
}

export class GetChallengeQuery extends Query<ChallengeView> {
  constructor(readonly challengeId: string) {
    super();
  }
}

/** Where the code of an open challenge went, for a login page that waits for it. */
@QueryHandler(GetChallengeQuery)
export class GetChallengeHandler implements IQueryHandler<GetChallengeQuery, ChallengeView> {
  constructor(private readonly repository: AggregateRepository) {}

  async execute(query: GetChallengeQuery): Promise<ChallengeView> {
    const login = await this.repository.load(Login, query.challengeId);
    const challenge = login.challenge;
    if (!challenge || login.status !== 'awaiting_otp') throw new ChallengeNotFoundError();
    return {
      challengeId: login.id,
      channel: challenge.channel,
      destination: challenge.destination,
      availableChannels: challenge.availableChannels,
      expiresAt: challenge.expiresAt.toISOString(),
      resendAvailableAt: challenge.resendAvailableAt.toISOString(),
      delivery: login.delivery,
    };
  }
}
