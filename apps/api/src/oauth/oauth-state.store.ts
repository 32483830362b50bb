import { Injectable } from '@nestjs/common';
import type { ExternalProvider } from '@latchkey/identity';
import { InjectRedis } from '@latchkey/platform';
import { SecretBox } from '@latchkey/security';
import type Redis from 'ioredis';

/** How long a user may take at Google or GitHub. */
export const OAUTH_STATE_TTL_SECONDS = 600;

/** What the start of a Google/GitHub login keeps for its callback (sealed: it holds the PKCE verifier). */
export interface OAuthFlowState {
  provider: ExternalProvider;
  codeVerifier: string;
  nonce?: string;
  /** Hash of the browser-binding cookie: the callback must come back to the browser that started. */
  browser: string;
  deviceToken?: string;
  locale?: string;
}

/** OAuth flow state in Redis under the `state` value, readable once. */
@Injectable()
export class OAuthStateStore {
  constructor(
    @InjectRedis() private readonly redis: Redis,
    private readonly box: SecretBox,
  ) {}

  async put(state: string, flow: OAuthFlowState): Promise<void> {
    await this.redis.set(`oauth:state:${state}`, this.box.encrypt(JSON.stringify(flow), 'oauth-state'), 'EX', OAUTH_STATE_TTL_SECONDS);
  }

  /** The flow of `state`, once; undefined for an unknown, expired or used state. */
  async take(state: string): Promise<OAuthFlowState | undefined> {
    const sealed = await this.redis.getdel(`oauth:state:${state}`);
    return sealed ? (JSON.parse(this.box.decrypt(sealed, 'oauth-state')) as OAuthFlowState) : undefined;
  }
}
