import { EventSourcedAggregate, type DomainEvent } from '@latchkey/event-store';
import { storableText } from '../shared/text';
import { ChannelNotAvailableError, ConfirmationNotFoundError, OtpExpiredError, ResendCooldownError, SelectionNotFoundError, TooManyAttemptsError } from '../shared/errors';
import type { Channel } from '../shared/roles';
import type { Issued, IssuedCode } from './issued-code';
import {
  AccountSelected,
  DeliveryBlocked,
  DeliveryFailed,
  ExternalIdentityAsserted,
  GroupsConfirmationRequired,
  GroupsConfirmed,
  LoginAttempted,
  LoginRejected,
  OtpChallengeIssued,
  OtpDelivered,
  OtpResent,
  OtpVerificationFailed,
  OtpVerified,
  SsoLoginRejected,
  SsoLoginSucceeded,
  TwoFactorRequired,
  TwoFactorSkipped,
} from './login.events';

export type LoginMethod = LoginAttempted['data']['method'];
export type LoginStatus =
  | 'new'
  | 'failed'
  | 'rejected'
  | 'awaiting_selection'
  | 'selected'
  | 'awaiting_groups'
  | 'groups_confirmed'
  | 'awaiting_otp'
  | 'authenticated';

/** What Google or GitHub said, for linking the identity after an account choice. */
export interface ExternalFacts {
  provider: 'google' | 'github';
  subject: string;
  email: string | null;
  emailVerified: boolean;
}

/** What the IdP said, for the steps after an account choice or a group confirmation. */
export interface SsoFacts {
  connectionId: string;
  email: string;
  groups: string[] | null;
}

interface Challenge {
  channel: Channel;
  destination: string;
  codeHash: string;
  expiresAt: Date;
  resendAvailableAt: Date;
  availableChannels: Channel[];
}

/** A user an email and password (or IdP) matched; `userVersion` as the check saw it. */
export interface Candidate {
  userId: string;
  accountId: string;
  userVersion?: number;
}

/** A device token given to the step that offered a choice of accounts, and the client it came from (both SHA-256). */
export interface OfferedDevice {
  tokenHash: string;
  clientHash: string;
}

interface LoginState {
  status: LoginStatus;
  method: LoginMethod | null;
  userId: string | null;
  accountId: string | null;
  candidates: Candidate[];
  selectionExpiresAt: Date | null;
  /** The user's version the proof (password, IdP) was checked against, once a code is required. */
  userVersion: number | null;
  challenge: Challenge | null;
  failures: number;
  locale: string | null;
  /** Id of the event that carries the current code (known once stored). */
  currentCodeEventId: string | null;
  deliveries: Record<string, 'delivered' | 'failed'>;
  /** Channels a provider refused or a defence closed for this challenge: never offered again. */
  closedChannels: Channel[];
  sso: SsoFacts | null;
  groupsExpireAt: Date | null;
  /** The group change the user was asked to confirm (names as shown). */
  shownGroups: { added: string[]; removed: string[] } | null;
  external: ExternalFacts | null;
  /** The device the login step was given, when it offered a choice of accounts. */
  offeredDevice: OfferedDevice | null;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export type VerifyOutcome =
  | { kind: 'verified' }
  | { kind: 'wrong'; attemptsLeft: number }
  | { kind: 'expired' }
  | { kind: 'used' }
  | { kind: 'dead' };

export type { Channel, IssuedCode };

/**
 * One login attempt (`login-<id>`): the password (or IdP) step, an account choice when the
 * email matches several accounts, and the one-time-code challenge for a new device.
 */
export class Login extends EventSourcedAggregate<LoginState> {
  get streamType(): string {
    return 'login';
  }

  protected initialState(): LoginState {
    return { status: 'new', method: null, userId: null, accountId: null, candidates: [], selectionExpiresAt: null, userVersion: null, challenge: null, failures: 0, locale: null, currentCodeEventId: null, deliveries: {}, closedChannels: [], sso: null, groupsExpireAt: null, shownGroups: null, external: null, offeredDevice: null };
  }

  protected evolve(state: LoginState, event: DomainEvent): LoginState {
    if (event instanceof LoginAttempted) {
      const d = event.data;
      const status: LoginStatus =
        d.outcome === 'failed'
          ? 'failed'
          : d.outcome === 'groups_confirmation_required'
            ? 'awaiting_groups'
          : d.outcome === 'rejected'
            ? 'rejected'
            : d.outcome === 'account_selection_required'
              ? 'awaiting_selection'
              : d.outcome === 'otp_required'
                ? 'awaiting_otp'
                : 'authenticated';
      return {
        ...state,
        status,
        method: d.method,
        userId: d.userId,
        accountId: d.accountId,
        candidates: d.candidates ?? [],
        selectionExpiresAt: d.selectionExpiresAt ? new Date(d.selectionExpiresAt) : null,
        locale: d.locale ?? null,
        offeredDevice: d.deviceTokenHash && d.deviceClientHash ? { tokenHash: d.deviceTokenHash, clientHash: d.deviceClientHash } : null,
      };
    }
    if (event instanceof SsoLoginSucceeded) {
      const d = event.data;
      return { ...state, sso: { connectionId: d.connectionId, email: d.email, groups: d.groups } };
    }
    if (event instanceof SsoLoginRejected) return { ...state, status: 'rejected' };
    if (event instanceof ExternalIdentityAsserted) {
      const { loginId: _l, ...facts } = event.data;
      return { ...state, external: facts };
    }
    if (event instanceof GroupsConfirmationRequired) {
      return {
        ...state,
        status: 'awaiting_groups',
        userId: event.data.userId,
        accountId: event.data.accountId,
        groupsExpireAt: new Date(event.data.expiresAt),
        shownGroups: { added: event.data.added, removed: event.data.removed },
        userVersion: event.data.userVersion ?? null,
      };
    }
    if (event instanceof GroupsConfirmed) return { ...state, status: 'groups_confirmed' };
    if (event instanceof AccountSelected) return { ...state, userId: event.data.userId, accountId: event.data.accountId, status: 'selected' };
    if (event instanceof LoginRejected) return { ...state, status: 'rejected' };
    if (event instanceof TwoFactorSkipped) return { ...state, status: 'authenticated' };
    if (event instanceof TwoFactorRequired) return { ...state, userVersion: event.data.userVersion ?? null };
    if (event instanceof OtpChallengeIssued) {
      const d = event.data;
      return { ...state, status: 'awaiting_otp', challenge: toChallenge(d, d.availableChannels), currentCodeEventId: event.stored?.id ?? null };
    }
    if (event instanceof OtpResent) {
      return {
        ...state,
        challenge: toChallenge(event.data, state.challenge?.availableChannels ?? [event.data.channel]),
        currentCodeEventId: event.stored?.id ?? null,
      };
    }
    if (event instanceof OtpDelivered) return { ...state, deliveries: { ...state.deliveries, [event.data.sourceEventId]: 'delivered' } };
    if (event instanceof DeliveryFailed || event instanceof DeliveryBlocked) {
      const failed = event.data.channel;
      // When neither phone channel can deliver (the provider refused both, or the operator's
      // countries rule the number out), email is the last resort: the user would otherwise have
      // no way in. Nobody can make a provider fail on purpose for someone else's number.
      // Email comes back only if it was never closed itself: a user who chose email, whose email
      // failed and then both phone channels, is left with none (a review found email reopened).
      const closedChannels = state.closedChannels.includes(failed) ? state.closedChannels : [...state.closedChannels, failed];
      const open = (channels: readonly Channel[]): Channel[] => {
        const left = channels.filter((c) => c !== failed);
        return left.length === 0 && !closedChannels.includes('email') ? ['email'] : left;
      };
      const challenge = state.challenge ? { ...state.challenge, availableChannels: open(state.challenge.availableChannels) } : null;
      const deliveries = event instanceof DeliveryFailed ? { ...state.deliveries, [event.data.sourceEventId]: 'failed' as const } : state.deliveries;
      return { ...state, challenge, deliveries, closedChannels };
    }
    if (event instanceof OtpVerificationFailed) return { ...state, failures: state.failures + 1 };
    if (event instanceof OtpVerified) return { ...state, status: 'authenticated' };
    return state;
  }

  get status(): LoginStatus {
    return this.state.status;
  }

  get userId(): string | null {
    return this.state.userId;
  }

  /** See `TwoFactorRequired.userVersion`; null for challenges issued before it was recorded. */
  get userVersion(): number | null {
    return this.state.userVersion;
  }

  get accountId(): string | null {
    return this.state.accountId;
  }

  get method(): LoginMethod | null {
    return this.state.method;
  }

  /** The device the login step was given, when it offered a choice of accounts. */
  get offeredDevice(): OfferedDevice | null {
    return this.state.offeredDevice;
  }

  get requestedLocale(): string | null {
    return this.state.locale;
  }

  get sso(): Readonly<SsoFacts> | null {
    return this.state.sso;
  }

  get external(): Readonly<ExternalFacts> | null {
    return this.state.external;
  }

  /** Google or GitHub vouched for `facts`. */
  externalAsserted(facts: ExternalFacts): void {
    if (this.state.status !== 'new' || this.state.external) throw new Error(`login ${this.id} already attempted`);
    this.apply(new ExternalIdentityAsserted({ loginId: this.id, ...facts }));
  }

  get challenge(): Readonly<Challenge> | null {
    return this.state.challenge;
  }

  /** The first step's result. */
  attempt(data: Omit<LoginAttempted['data'], 'loginId'>): void {
    if (this.state.status !== 'new') throw new Error(`login ${this.id} already attempted`);
    // The login as typed, normalized: lower-casing can lengthen it ('İ' → 'i̇'), past what the
    // request's own limit allowed.
    this.apply(new LoginAttempted({ loginId: this.id, ...data, login: storableText(data.login, 320) }));
  }

  /** Several users matched (one email in several accounts): the caller picks one before `expiresAt`. */
  offerAccounts(method: LoginMethod, login: string, candidates: Candidate[], expiresAt: Date, locale?: string, device?: OfferedDevice): void {
    this.attempt({
      method,
      login,
      outcome: 'account_selection_required',
      reason: null,
      userId: null,
      accountId: null,
      candidates,
      selectionExpiresAt: expiresAt.toISOString(),
      ...(locale ? { locale } : {}),
      ...(device ? { deviceTokenHash: device.tokenHash, deviceClientHash: device.clientHash } : {}),
    });
  }

  /** Picks one of the matched accounts; returns the user that logs in. */
  select(accountId: string, now: Date): Candidate {
    const candidate = this.state.candidates.find((c) => c.accountId === accountId);
    const open = this.state.status === 'awaiting_selection' && this.state.selectionExpiresAt !== null && now < this.state.selectionExpiresAt;
    if (!open || !candidate) throw new SelectionNotFoundError();
    this.apply(new AccountSelected({ loginId: this.id, userId: candidate.userId, accountId: candidate.accountId }));
    return candidate;
  }

  /** The IdP's response was valid and named `facts.email`. */
  ssoAsserted(accountId: string, facts: SsoFacts): void {
    if (this.state.status !== 'new' || this.state.sso) throw new Error(`login ${this.id} already attempted`);
    this.apply(new SsoLoginSucceeded({ loginId: this.id, accountId, ...facts }));
  }

  ssoRejected(connectionId: string, accountId: string, reason: string): void {
    this.apply(new SsoLoginRejected({ loginId: this.id, connectionId, accountId, reason: storableText(reason, 300) }));
  }

  askToConfirmGroups(userId: string, accountId: string, change: { added: string[]; removed: string[] }, expiresAt: Date, userVersion?: number): void {
    this.apply(
      new GroupsConfirmationRequired({ loginId: this.id, userId, accountId, ...change, expiresAt: expiresAt.toISOString(), ...(userVersion !== undefined ? { userVersion } : {}) }),
    );
  }

  /** "I understand"; returns the user whose groups change. */
  confirmGroups(now: Date): { userId: string; accountId: string; shown: { added: string[]; removed: string[] } } {
    const open = this.state.status === 'awaiting_groups' && this.state.groupsExpireAt !== null && now < this.state.groupsExpireAt;
    if (!open) throw new ConfirmationNotFoundError();
    const shown = this.state.shownGroups ?? { added: [], removed: [] };
    this.apply(new GroupsConfirmed({ loginId: this.id, userId: this.state.userId! }));
    return { userId: this.state.userId!, accountId: this.state.accountId!, shown };
  }

  reject(userId: string, reason: string): void {
    this.apply(new LoginRejected({ loginId: this.id, userId, reason }));
  }

  skipTwoFactor(userId: string, deviceId: string | null, reason: TwoFactorSkipped['data']['reason']): void {
    this.apply(new TwoFactorSkipped({ loginId: this.id, userId, deviceId, reason }));
  }

  requireTwoFactor(userId: string, accountId: string, reason: TwoFactorRequired['data']['reason'], issued: Issued, userVersion?: number): void {
    this.apply(new TwoFactorRequired({ loginId: this.id, userId, reason, ...(userVersion !== undefined ? { userVersion } : {}) }));
    for (const block of issued.blocked) this.apply(new DeliveryBlocked({ loginId: this.id, userId, ...block }));
    this.apply(new OtpChallengeIssued({ loginId: this.id, userId, accountId, ...issued.code, availableChannels: issued.channels }));
  }

  /** Checks that a resend may happen now on `channel`; throws the reason it may not. */
  assertCanResend(channel: Channel, now: Date, maxAttempts: number): void {
    const challenge = this.state.challenge;
    if (this.state.status !== 'awaiting_otp' || !challenge) throw new OtpExpiredError();
    if (this.state.failures >= maxAttempts) throw new TooManyAttemptsError();
    // An expired challenge stays expired: a new code would make the password checked at its
    // start good for as long as someone keeps asking. The client starts a new login.
    if (now > challenge.expiresAt) throw new OtpExpiredError();
    if (!challenge.availableChannels.includes(channel)) {
      throw new ChannelNotAvailableError({ errors: [{ field: 'channel', message: `must be one of: ${challenge.availableChannels.join(', ')}` }] });
    }
    if (now < challenge.resendAvailableAt) {
      throw new ResendCooldownError({ retryAfterSeconds: Math.ceil((challenge.resendAvailableAt.getTime() - now.getTime()) / 1000) });
    }
  }

  resend(issued: Pick<Issued, 'code' | 'blocked'>): void {
    for (const block of issued.blocked) this.apply(new DeliveryBlocked({ loginId: this.id, userId: this.state.userId!, ...block }));
    this.apply(new OtpResent({ loginId: this.id, userId: this.state.userId!, accountId: this.state.accountId!, ...issued.code }));
  }

  /** Whether the current code reached a provider, failed, or is still on its way. */
  get delivery(): DeliveryState {
    const id = this.state.currentCodeEventId;
    return (id && this.state.deliveries[id]) || 'pending';
  }

  /** Whether `sourceEventId` carries the challenge's current code (a resend makes the earlier one void). */
  isCurrentCode(sourceEventId: string): boolean {
    return this.state.currentCodeEventId === sourceEventId;
  }

  deliveryOf(sourceEventId: string): DeliveryState {
    return this.state.deliveries[sourceEventId] ?? 'pending';
  }

  /** The user whose code a delivery event is about, so that it shows in their history. */
  private get owner(): { userId?: string } {
    return this.state.userId ? { userId: this.state.userId } : {};
  }

  /** A provider accepted the code of `sourceEventId`; recorded once. */
  recordDelivered(sourceEventId: string, channel: Channel, provider: string, providerMessageId: string): boolean {
    if (this.deliveryOf(sourceEventId) !== 'pending') return false;
    this.apply(new OtpDelivered({ loginId: this.id, ...this.owner, channel, provider, providerMessageId, sourceEventId }));
    return true;
  }

  /**
   * The code of `sourceEventId` will not arrive. Recorded once; returns the channel a new code
   * should go to when that code was the current one and the challenge is still open.
   */
  recordFailed(sourceEventId: string, channel: Channel, reason: string, maxAttempts: number): Channel | undefined {
    if (this.deliveryOf(sourceEventId) !== 'pending') return undefined;
    this.apply(new DeliveryFailed({ loginId: this.id, ...this.owner, channel, reason: storableText(reason, 200), sourceEventId }));
    const open = this.state.status === 'awaiting_otp' && this.state.failures < maxAttempts && this.state.currentCodeEventId === sourceEventId;
    return open ? this.state.challenge?.availableChannels[0] : undefined;
  }

  /** Checks a code. `matches` compares it with the current code's hash (the earlier ones no longer count). */
  verify(matches: (codeHash: string) => boolean, trustDevice: boolean, maxAttempts: number, now: Date): VerifyOutcome {
    const challenge = this.state.challenge;
    if (this.state.status === 'authenticated' && challenge) return { kind: 'used' };
    if (this.state.status !== 'awaiting_otp' || !challenge) return { kind: 'used' };
    if (this.state.failures >= maxAttempts) return { kind: 'dead' };
    if (now > challenge.expiresAt) return { kind: 'expired' };
    if (matches(challenge.codeHash)) {
      this.apply(new OtpVerified({ loginId: this.id, userId: this.state.userId!, trustDevice, channel: challenge.channel }));
      return { kind: 'verified' };
    }
    const attemptsLeft = Math.max(maxAttempts - this.state.failures - 1, 0);
    this.apply(new OtpVerificationFailed({ loginId: this.id, userId: this.state.userId!, attemptsLeft }));
    return { kind: 'wrong', attemptsLeft };
  }
}

function toChallenge(d: OtpResent['data'], availableChannels: Channel[]): Challenge {
  return {
    channel: d.channel,
    destination: d.destination,
    codeHash: d.codeHash,
    expiresAt: new Date(d.expiresAt),
    resendAvailableAt: new Date(d.resendAvailableAt),
    availableChannels,
  };
}
