import { Injectable } from '@nestjs/common';
import { InjectRedis } from '@latchkey/platform';
import { SecretBox, randomToken } from '@latchkey/security';
import type Redis from 'ioredis';

/** A browser has this long to pick up the result of an IdP round trip. */
export const FLOW_TTL_SECONDS = 300;

export interface FlowResult {
  status: number;
  body: unknown;
  contentType: string;
}

/**
 * Results of logins that end on a browser redirect (SAML ACS, OAuth callbacks): kept sealed in
 * Redis under an unguessable id, readable once.
 */
@Injectable()
export class FlowResults {
  constructor(
    @InjectRedis() private readonly redis: Redis,
    private readonly box: SecretBox,
  ) {}

  async put(result: FlowResult): Promise<string> {
    const flowId = randomToken();
    await this.redis.set(`flow:${flowId}`, this.box.encrypt(JSON.stringify(result), 'flow-result'), 'EX', FLOW_TTL_SECONDS);
    return flowId;
  }

  async take(flowId: string): Promise<FlowResult | undefined> {
    const sealed = await this.redis.getdel(`flow:${flowId}`);
    return sealed ? (JSON.parse(this.box.decrypt(sealed, 'flow-result')) as FlowResult) : undefined;
  }
}
