import { Injectable } from '@nestjs/common';
import type { CacheProvider } from '@node-saml/passport-saml';
import { InjectRedis } from '@latchkey/platform';
import { SecretBox, sha256 } from '@latchkey/security';
import type Redis from 'ioredis';

/** How long an AuthnRequest may wait for its response (the user may be typing a password at the IdP). */
export const REQUEST_TTL_SECONDS = 600;

/** What the SP-initiated start knew about the browser, for the ACS (cross-site POSTs carry no Lax cookie). */
export interface RequestContext {
  deviceToken?: string;
  locale?: string;
  /** Hash of the browser-binding cookie set at the start: the ACS post must come from that browser. */
  browser?: string;
}

/**
 * SAML state in Redis: the ids of AuthnRequests we sent (checked as InResponseTo, per
 * connection, single use), what the start of each login knew about the browser (sealed: it
 * holds the device token), and ids of assertions already accepted (until they expire).
 */
@Injectable()
export class SamlStateStore {
  constructor(
    @InjectRedis() private readonly redis: Redis,
    private readonly box: SecretBox,
  ) {}

  /** node-saml's request-id cache for one connection: a response is only taken for that connection's requests. */
  requestIds(connectionId: string): CacheProvider {
    const key = (id: string | null) => `saml:request:${connectionId}:${id ?? ''}`;
    return {
      saveAsync: async (id, value) => {
        await this.redis.set(key(id), value, 'EX', REQUEST_TTL_SECONDS);
        return { value, createdAt: Date.now() };
      },
      getAsync: (id) => this.redis.get(key(id)),
      // Spent by `consumeRequest` once the whole response passed, atomically: node-saml's own
      // removal comes after a read that two concurrent posts could both pass.
      removeAsync: async () => null,
    };
  }

  /** True once per request id of the connection (then it is gone). */
  async consumeRequest(connectionId: string, requestId: string): Promise<boolean> {
    return (await this.redis.getdel(`saml:request:${connectionId}:${requestId}`)) !== null;
  }

  async saveContext(requestId: string, context: RequestContext): Promise<void> {
    await this.redis.set(`saml:context:${requestId}`, this.box.encrypt(JSON.stringify(context), 'saml-context'), 'EX', REQUEST_TTL_SECONDS);
  }

  async takeContext(requestId: string): Promise<RequestContext> {
    const sealed = await this.redis.getdel(`saml:context:${requestId}`);
    return sealed ? (JSON.parse(this.box.decrypt(sealed, 'saml-context')) as RequestContext) : {};
  }

  /** True the first time an assertion id is seen for the connection; kept until the assertion expires. */
  async firstUse(connectionId: string, assertionId: string, keepMs: number): Promise<boolean> {
    const stored = await this.redis.set(`saml:assertion:${connectionId}:${sha256(assertionId)}`, '1', 'PX', Math.max(1000, Math.ceil(keepMs)), 'NX');
    return stored === 'OK';
  }
}
