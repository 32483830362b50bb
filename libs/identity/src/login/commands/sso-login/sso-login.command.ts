import { Command } from '@nestjs/cqrs';
import type { ClientContext, LoginResult } from '../../login-result';

/** What a verified SAML assertion says about the person. */
export interface SsoIdentity {
  email: string;
  /** Display name, when the IdP sent one. */
  name: string | null;
  /** The values of the connection's groups attribute; null when the IdP sent none. */
  groups: string[] | null;
}

/** A SAML response passed every check; log its person in through the connection. */
export class SsoLoginCommand extends Command<LoginResult> {
  constructor(
    readonly connectionId: string,
    readonly identity: SsoIdentity,
    readonly client: ClientContext,
    /** Interface language picked when the login started. */
    readonly locale?: string,
  ) {
    super();
  }
}

/** A SAML response failed a check, or named nobody we can log in: recorded, then refused. */
export class RejectSsoLoginCommand extends Command<void> {
  constructor(
    readonly connectionId: string,
    readonly reason: string,
  ) {
    super();
  }
}
