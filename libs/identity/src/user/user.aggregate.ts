import { EventSourcedAggregate, type DomainEvent } from '@latchkey/event-store';
import { normalizeLogin } from '../shared/contact';
import type { Locale } from '../shared/locale';
import type { Channel, Role } from '../shared/roles';
import { ExternalIdentityLinked, ExternalIdentityUnlinked, PasswordChanged, SsoGroupsChanged, UserAccessChanged, type ExternalProvider, UserLockedOut, UserPreferencesChanged, UserRegistered, UserUnlocked } from './user.events';

export interface UserState {
  registered: boolean;
  accountId: string | null;
  email: string | null;
  username: string | null;
  name: string | null;
  phone: string | null;
  locale: Locale;
  roles: Role[];
  webAccess: boolean;
  twoFactorChannel: Channel;
  enabled: boolean;
  hasPassword: boolean;
  /** Linked Google/GitHub identities by id. */
  identities: Record<string, { provider: ExternalProvider; subject: string }>;
}

/** Claim scopes: usernames are unique system-wide, emails within an account, external identities system-wide. */
export const USERNAME_SCOPE = 'username';
export const EXTERNAL_IDENTITY_SCOPE = 'external-identity';
export const emailScope = (accountId: string) => `email:${accountId}`;

export interface Registration {
  accountId: string;
  email: string;
  username: string;
  name?: string | null;
  phone: string | null;
  locale: Locale;
  roles: Role[];
  webAccess: boolean;
  twoFactorChannel: Channel;
  source: 'signup' | 'admin' | 'sso';
}

export class User extends EventSourcedAggregate<UserState> {
  get streamType(): string {
    return 'user';
  }

  protected initialState(): UserState {
    return {
      registered: false,
      accountId: null,
      email: null,
      username: null,
      name: null,
      phone: null,
      locale: 'en',
      roles: [],
      webAccess: true,
      twoFactorChannel: 'email',
      enabled: true,
      hasPassword: false,
      identities: {},
    };
  }

  protected evolve(state: UserState, event: DomainEvent): UserState {
    if (event instanceof UserRegistered) {
      const d = event.data;
      return {
        ...state,
        registered: true,
        accountId: d.accountId,
        email: d.email,
        username: d.username,
        name: d.name ?? null,
        phone: d.phone,
        locale: d.locale,
        roles: d.roles,
        webAccess: d.webAccess,
        twoFactorChannel: d.twoFactorChannel,
      };
    }
    if (event instanceof PasswordChanged) return { ...state, hasPassword: true };
    if (event instanceof ExternalIdentityLinked) {
      return { ...state, identities: { ...state.identities, [event.data.identityId]: { provider: event.data.provider, subject: event.data.subject } } };
    }
    if (event instanceof ExternalIdentityUnlinked) {
      const { [event.data.identityId]: _gone, ...rest } = state.identities;
      return { ...state, identities: rest };
    }
    if (event instanceof UserPreferencesChanged) {
      const d = event.data;
      return {
        ...state,
        locale: d.locale ?? state.locale,
        twoFactorChannel: d.twoFactorChannel ?? state.twoFactorChannel,
        phone: d.phone === undefined ? state.phone : d.phone,
        name: d.name === undefined ? state.name : d.name,
      };
    }
    if (event instanceof UserAccessChanged) {
      const d = event.data;
      return { ...state, roles: d.roles ?? state.roles, webAccess: d.webAccess ?? state.webAccess, enabled: d.enabled ?? state.enabled };
    }
    return state;
  }

  get snapshot(): Readonly<UserState> {
    return this.state;
  }

  register(registration: Registration, passwordHash: string | null): void {
    if (this.state.registered) throw new Error(`user ${this.id} exists`);
    this.claim(USERNAME_SCOPE, normalizeLogin(registration.username));
    this.claim(emailScope(registration.accountId), normalizeLogin(registration.email));
    this.apply(
      new UserRegistered({
        userId: this.id,
        ...registration,
        name: registration.name?.trim() || null,
        email: registration.email.trim(),
        username: registration.username.trim(),
      }),
    );
    if (passwordHash) this.apply(new PasswordChanged({ userId: this.id, hash: passwordHash, via: registration.source === 'signup' ? 'signup' : 'invitation' }));
  }

  /** Records only what actually changes; returns whether anything did. */
  /** Whether this change would send the user's codes somewhere else (a new or removed phone, another channel). */
  movesCodes(change: { twoFactorChannel?: Channel; phone?: string | null }): boolean {
    return (change.phone !== undefined && change.phone !== this.state.phone) || (change.twoFactorChannel !== undefined && change.twoFactorChannel !== this.state.twoFactorChannel);
  }

  changePreferences(change: { locale?: Locale; twoFactorChannel?: Channel; phone?: string | null; name?: string | null }): boolean {
    const diff: { locale?: Locale; twoFactorChannel?: Channel; phone?: string | null; name?: string | null } = {};
    if (change.locale !== undefined && change.locale !== this.state.locale) diff.locale = change.locale;
    if (change.twoFactorChannel !== undefined && change.twoFactorChannel !== this.state.twoFactorChannel) diff.twoFactorChannel = change.twoFactorChannel;
    if (change.phone !== undefined && change.phone !== this.state.phone) diff.phone = change.phone;
    if (change.name !== undefined && change.name !== this.state.name) diff.name = change.name;
    if (Object.keys(diff).length === 0) return false;
    this.apply(new UserPreferencesChanged({ userId: this.id, ...diff }));
    return true;
  }

  /** Records only what actually changes; returns whether anything did. */
  changeAccess(change: { roles?: Role[]; webAccess?: boolean; enabled?: boolean }): boolean {
    const diff: { roles?: Role[]; webAccess?: boolean; enabled?: boolean } = {};
    if (change.roles !== undefined && [...change.roles].sort().join() !== [...this.state.roles].sort().join()) diff.roles = [...new Set(change.roles)];
    if (change.webAccess !== undefined && change.webAccess !== this.state.webAccess) diff.webAccess = change.webAccess;
    if (change.enabled !== undefined && change.enabled !== this.state.enabled) diff.enabled = change.enabled;
    if (Object.keys(diff).length === 0) return false;
    this.apply(new UserAccessChanged({ userId: this.id, ...diff }));
    return true;
  }

  changePassword(hash: string, via: 'reset' | 'change' | 'invitation'): void {
    this.apply(new PasswordChanged({ userId: this.id, hash, via }));
  }

  changeSsoGroups(connectionId: string, added: SsoGroupsChanged['data']['added'], removed: SsoGroupsChanged['data']['removed']): void {
    if (added.length === 0 && removed.length === 0) return;
    this.apply(new SsoGroupsChanged({ userId: this.id, accountId: this.state.accountId!, connectionId, added, removed }));
  }

  /** Links a provider identity; the claim makes a second link of the same identity fail. */
  linkIdentity(identityId: string, provider: ExternalProvider, subject: string, email: string): void {
    this.claim(EXTERNAL_IDENTITY_SCOPE, `${provider}:${subject}`);
    this.apply(new ExternalIdentityLinked({ userId: this.id, accountId: this.state.accountId!, identityId, provider, subject, email }));
  }

  /** False when the user has no such identity. */
  unlinkIdentity(identityId: string): boolean {
    const identity = this.state.identities[identityId];
    if (!identity) return false;
    this.releaseClaim(EXTERNAL_IDENTITY_SCOPE, `${identity.provider}:${identity.subject}`);
    this.apply(new ExternalIdentityUnlinked({ userId: this.id, accountId: this.state.accountId!, identityId, ...identity }));
    return true;
  }

  unlock(): void {
    this.apply(new UserUnlocked({ userId: this.id }));
  }

  lockOut(failures: number, until: Date): void {
    this.apply(new UserLockedOut({ userId: this.id, failures, until: until.toISOString() }));
  }
}
