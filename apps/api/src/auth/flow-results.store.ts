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
  /** Hash of the browser mark the login finished in: the result is handed only to that browser. */
  browser: string | null;
  /** For a 429 or 503: when (epoch ms) the caller may try again; the read answers the seconds left as `Retry-After`. */
  retryAt?: number;
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

  /**
   * The result of `flowId` for the browser whose mark hashes to `browser`, once. Asked by
   * another browser it answers nothing and stays for the right one.
   */
  async take(flowId: string, browser: string | null): Promise<FlowResult | undefined> {
    const key = `flow:${flowId}`;
    const sealed = await this.redis.get(key);
    if (!sealed) return undefined;
    const result = JSON.parse(this.box.decrypt(sealed, 'flow-result')) as FlowResult;
    if (result.browser !== null && result.browser !== browser) return undefined;
    // Of two reads at once, one gets it.
    return (await this.redis.del(key)) === 1 ? result : undefined;
  }
}
