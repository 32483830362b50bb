import { Injectable } from '@nestjs/common';
import { IdGenerator, type Sql } from '@latchkey/event-store';
import { ExternalIdentityQueries } from '../user/external-identities/external-identities.query';
import type { User } from '../user/user.aggregate';
import type { Login } from './login.aggregate';

/**
 * Links the Google/GitHub identity a login was started with to its user — only once the login
 * is authenticated (a code passed, or a trusted device), so an account someone registered with
 * another person's email cannot catch that person's identity by merely matching the email.
 */
@Injectable()
export class IdentityLinker {
  constructor(
    private readonly ids: IdGenerator,
    private readonly identities: ExternalIdentityQueries,
  ) {}

  /** The user aggregate with the link applied (to be saved with the login), or undefined when there is nothing to link. */
  async link(login: Login, userId: string, load: (userId: string) => Promise<User>, sql?: Sql): Promise<User | undefined> {
    const external = login.external;
    if (!external?.email || !external.emailVerified) return undefined;
    // Linked already: to this user by an earlier login, or meanwhile to another by a parallel one.
    if (await this.identities.bySubject(external.provider, external.subject, sql)) return undefined;
    const user = await load(userId);
    user.linkIdentity(this.ids.next(), external.provider, external.subject, external.email);
    return user;
  }
}
