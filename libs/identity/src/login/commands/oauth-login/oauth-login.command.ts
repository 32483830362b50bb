import { Command } from '@nestjs/cqrs';
import type { ExternalProvider } from '../../../user/user.events';
import type { ClientContext, LoginResult } from '../../login-result';

/** What the provider vouched for, once state, PKCE, nonce and the ID token were checked. */
export interface ExternalIdentity {
  subject: string;
  email: string | null;
  emailVerified: boolean;
}

export class OAuthLoginCommand extends Command<LoginResult> {
  constructor(
    readonly provider: ExternalProvider,
    readonly identity: ExternalIdentity,
    readonly client: ClientContext,
    /** Interface language picked when the login started. */
    readonly locale?: string,
  ) {
    super();
  }
}

/** A callback failed a check (state, code exchange, ID token): recorded as a rejected attempt. */
export class RejectOAuthLoginCommand extends Command<void> {
  constructor(
    readonly provider: ExternalProvider,
    readonly reason: string,
  ) {
    super();
  }
}
