import { EventSourcedAggregate, type DomainEvent } from '@latchkey/event-store';
import { ConnectionNotSharedError, NotFoundError } from '../shared/errors';
import {
  SsoConnectionConfigured,
  SsoConnectionJoined,
  SsoConnectionLeft,
  SsoConnectionRemoved,
  SsoConnectionUpdated,
  type ConnectionSettings,
} from './sso-connection.events';

/** SP-initiated URL identifiers are unique system-wide. */
export const SSO_IDENTIFIER_SCOPE = 'sso-identifier';
/**
 * Identifiers an account has ever used, held by the account for good (a second claim beside the
 * connection's own, which is released on a rename or removal): links with an old identifier are
 * out there (bookmarks, the IdP's tiles, emails), and another account taking it would send those
 * users to its own IdP. The account's next connection may take it again.
 */
export const SSO_IDENTIFIER_ACCOUNT_SCOPE = 'sso-identifier-account';
const accountOwner = (accountId: string) => `account-${accountId}`;

interface ConnectionState {
  status: 'new' | 'active' | 'removed';
  accountId: string | null;
  settings: ConnectionSettings | null;
  /** Accounts that joined (each must also be in sharedWithAccountIds). */
  joined: string[];
}

/** A SAML connection (`sso-connection-<id>`), owned by one account and maybe shared with others. */
export class SsoConnection extends EventSourcedAggregate<ConnectionState> {
  get streamType(): string {
    return 'sso-connection';
  }

  protected initialState(): ConnectionState {
    return { status: 'new', accountId: null, settings: null, joined: [] };
  }

  protected evolve(state: ConnectionState, event: DomainEvent): ConnectionState {
    if (event instanceof SsoConnectionConfigured) {
      const { connectionId: _c, accountId, ...settings } = event.data;
      return { ...state, status: 'active', accountId, settings };
    }
    if (event instanceof SsoConnectionUpdated) {
      const { connectionId: _c, accountId: _a, ...change } = event.data;
      return { ...state, settings: { ...state.settings!, ...definedOnly(change) } };
    }
    if (event instanceof SsoConnectionRemoved) return { ...state, status: 'removed' };
    if (event instanceof SsoConnectionJoined) return { ...state, joined: [...state.joined, event.data.accountId] };
    if (event instanceof SsoConnectionLeft) return { ...state, joined: state.joined.filter((a) => a !== event.data.accountId) };
    return state;
  }

  get accountId(): string | null {
    return this.state.accountId;
  }

  get settings(): Readonly<ConnectionSettings> | null {
    return this.state.settings;
  }

  get joined(): readonly string[] {
    return this.state.joined;
  }

  /** Owned by `accountId` and not removed. */
  isOwnedBy(accountId: string): boolean {
    return this.state.status === 'active' && this.state.accountId === accountId;
  }

  configure(accountId: string, settings: ConnectionSettings): void {
    if (this.state.status !== 'new') throw new Error(`connection ${this.id} exists`);
    this.claim(SSO_IDENTIFIER_SCOPE, settings.identifier.toLowerCase());
    this.claim(SSO_IDENTIFIER_ACCOUNT_SCOPE, settings.identifier.toLowerCase(), accountOwner(accountId));
    this.apply(new SsoConnectionConfigured({ connectionId: this.id, accountId, ...settings, sharedWithAccountIds: withoutOwner(settings.sharedWithAccountIds, accountId) }));
  }

  /** Records only what changes; accounts no longer shared with leave at once. */
  update(change: Partial<ConnectionSettings>): void {
    const current = this.state.settings!;
    const accountId = this.state.accountId!;
    const next = { ...change };
    if (next.sharedWithAccountIds) next.sharedWithAccountIds = withoutOwner(next.sharedWithAccountIds, accountId);
    const diff: Partial<ConnectionSettings> = {};
    for (const [key, value] of Object.entries(next) as [keyof ConnectionSettings, unknown][]) {
      if (value !== undefined && JSON.stringify(value) !== JSON.stringify(current[key])) (diff as Record<string, unknown>)[key] = value;
    }
    if (Object.keys(diff).length === 0) return;
    if (diff.identifier && diff.identifier.toLowerCase() !== current.identifier.toLowerCase()) {
      this.releaseClaim(SSO_IDENTIFIER_SCOPE, current.identifier.toLowerCase());
      this.claim(SSO_IDENTIFIER_SCOPE, diff.identifier.toLowerCase());
      this.claim(SSO_IDENTIFIER_ACCOUNT_SCOPE, diff.identifier.toLowerCase(), accountOwner(accountId));
    }
    this.apply(new SsoConnectionUpdated({ connectionId: this.id, accountId, ...diff }));
    if (diff.sharedWithAccountIds) {
      for (const joined of this.state.joined.filter((a) => !diff.sharedWithAccountIds!.includes(a))) {
        this.apply(new SsoConnectionLeft({ connectionId: this.id, accountId: joined }));
      }
    }
  }

  remove(): void {
    if (this.state.status !== 'active') throw new NotFoundError();
    this.releaseClaim(SSO_IDENTIFIER_SCOPE, this.state.settings!.identifier.toLowerCase());
    for (const joined of this.state.joined) this.apply(new SsoConnectionLeft({ connectionId: this.id, accountId: joined }));
    this.apply(new SsoConnectionRemoved({ connectionId: this.id, accountId: this.state.accountId!, identifier: this.state.settings!.identifier }));
  }

  /** The admin of a sharing account agrees; only accounts the owner listed may join. */
  join(accountId: string): boolean {
    if (this.state.status !== 'active' || !this.state.settings!.sharedWithAccountIds.includes(accountId)) throw new ConnectionNotSharedError();
    if (this.state.joined.includes(accountId)) return false;
    this.apply(new SsoConnectionJoined({ connectionId: this.id, accountId }));
    return true;
  }

  leave(accountId: string): boolean {
    if (this.state.status !== 'active' || !this.state.joined.includes(accountId)) return false;
    this.apply(new SsoConnectionLeft({ connectionId: this.id, accountId }));
    return true;
  }
}

function withoutOwner(accounts: string[], owner: string): string[] {
  return [...new Set(accounts.map((a) => a.toLowerCase()))].filter((a) => a !== owner);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
