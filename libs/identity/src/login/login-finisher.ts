import { Injectable } from '@nestjs/common';
import { Clock, type DomainError, type EventSourcedAggregate, type Sql } from '@latchkey/event-store';
import { sha256 } from '@latchkey/security';
import { AggregateRepository } from '@latchkey/event-store';
import { AccountDisabledError, SsoRequiredError, WebAccessDeniedError } from '../shared/errors';
import { closestLocale, type Locale } from '../shared/locale';
import { IdentityReadModels, SSO_BYPASSING_METHODS, trustOf, type DeviceTrust, type UserRow } from '../shared/read-models';
import { SessionIssuer } from '../session/session-issuer';
import { User } from '../user/user.aggregate';
import type { Login, LoginMethod } from './login.aggregate';
import type { ClientContext, LoginResult } from './login-result';
import { OtpIssuer } from './otp-issuer';

/** What to save, and what to answer: a result, or an error to raise once the events are saved. */
export interface Continuation {
  result?: LoginResult;
  error?: DomainError;
  save: EventSourcedAggregate<unknown>[];
  /** A new preferred language to record on the user after the login's events are saved. */
  locale?: { userId: string; locale: Locale };
}

export interface FinishOptions {
  method: LoginMethod;
  /** The identifier as typed (normalized), for the attempt event. */
  login: string;
  /** True when the user was picked from several accounts (the attempt event is already there). */
  afterSelection: boolean;
  /** Interface language picked on the login page. */
  locale?: string;
  /** When a new device must prove itself with a code (SSO logins skip it unless the connection asks). */
  secondFactor: 'new_device' | 'never';
  /**
   * The user's version the password (or IdP) was checked against, when that was an earlier read
   * than `user` (an account picked after the password); by default `user.version`. The session
   * or code carries it, so a change that ends the user's sessions after it ends them too.
   */
  userVersion?: number;
  /**
   * The transaction to read in, when the caller holds a stream lock: work under a lock must not
   * wait for another pool connection (the pool may be full of requests waiting for that lock).
   */
  sql?: Sql;
  /**
   * What the caller read with the user (`IdentityReadModels.loginCandidates`): whether the
   * account enforces SSO, and the presented device if it is this user's. Given, `finish` reads
   * neither again.
   */
  known?: { enforceSso: boolean; device: DeviceTrust | null };
}

/**
 * The steps every login method shares once it knows the user: refuse users who may not log in,
 * remember their language, then either let a trusted device in or send a one-time code.
 */
@Injectable()
export class LoginFinisher {
  constructor(
    private readonly clock: Clock,
    private readonly read: IdentityReadModels,
    private readonly repository: AggregateRepository,
    private readonly sessions: SessionIssuer,
    private readonly otp: OtpIssuer,
  ) {}

  async finish(login: Login, user: UserRow, client: ClientContext, options: FinishOptions): Promise<Continuation> {
    const record = (outcome: 'authenticated' | 'otp_required' | 'rejected', reason: string | null) => {
      if (!options.afterSelection) {
        login.attempt({ method: options.method, login: options.login, outcome, reason, userId: user.id, accountId: user.accountId });
      } else if (outcome === 'rejected') {
        login.reject(user.id, reason ?? 'rejected');
      }
    };

    const refusal = options.known
      ? LoginFinisher.refusalGiven(user, options.method, options.known.enforceSso)
      : await this.refusal(user, options.method, options.sql);
    if (refusal) {
      record('rejected', refusal.code);
      return { error: refusal, save: [login] };
    }

    const save: EventSourcedAggregate<unknown>[] = [login];
    const requested = options.locale ? closestLocale(options.locale) : undefined;
    const locale = requested && requested !== user.locale ? { userId: user.id, locale: requested } : undefined;
    if (locale) user = { ...user, locale: locale.locale };

    const tokenHash = client.deviceToken ? sha256(client.deviceToken) : client.deviceTokenHash;
    const device = trustOf(
      user.id,
      !tokenHash ? null : options.known ? options.known.device : ((await this.read.deviceByTokenHash(tokenHash, options.sql)) ?? null),
      this.clock.now(),
    );
    if (device.trusted || options.secondFactor === 'never') {
      record('authenticated', null);
      login.skipTwoFactor(user.id, device.trusted ? device.id : null, device.trusted ? 'trusted_device' : 'idp_mfa');
      const { session, result } = this.sessions.start({
        user,
        loginId: login.id,
        deviceId: device.trusted ? device.id : null,
        method: options.method,
        userVersion: options.userVersion,
      });
      return { result, save: [...save, session], locale };
    }

    const channels = this.otp.channelsFor(user);
    let issued;
    try {
      issued = await this.otp.issue(login.id, user, channels[0], channels);
    } catch (error) {
      record('rejected', (error as DomainError).code ?? 'otp_unavailable');
      return { error: error as DomainError, save, locale };
    }
    record('otp_required', device.reason);
    login.requireTwoFactor(user.id, user.accountId, device.reason, issued, options.userVersion ?? user.version);
    const { code } = issued;
    return {
      result: {
        status: 'otp_required',
        challengeId: login.id,
        channel: code.channel,
        destination: code.destination,
        expiresAt: code.expiresAt,
        resendAvailableAt: code.resendAvailableAt,
        availableChannels: issued.channels,
      },
      save,
      locale,
    };
  }

  /**
   * Saves what `finish` decided, records the new language (its own small write, retried on a
   * race with another change of the user), and answers: the result, or the refusal.
   */
  async complete(continuation: Continuation, saved?: Promise<unknown>): Promise<LoginResult> {
    await (saved ?? this.repository.save(continuation.save));
    if (continuation.locale) {
      const { userId, locale } = continuation.locale;
      await this.repository.update(User, userId, (user) => user.changePreferences({ locale }));
    }
    if (continuation.error) throw continuation.error;
    return continuation.result!;
  }

  /** Why this user may not log in this way, checked only after the password (or IdP) vouched for them. */
  async refusal(user: UserRow, method: LoginMethod, sql?: Sql): Promise<DomainError | undefined> {
    const enforceSso =
      !LoginFinisher.userRefusal(user) &&
      LoginFinisher.bypassesSso(method) &&
      (await this.read.accountNames([user.accountId], sql)).get(user.accountId)?.enforceSso === true;
    return LoginFinisher.refusalGiven(user, method, enforceSso);
  }

  /** `refusal` when whether the user's account enforces SSO is already known (read with the user). */
  static refusalGiven(user: UserRow, method: LoginMethod | null, enforceSso: boolean): DomainError | undefined {
    return LoginFinisher.userRefusal(user) ?? (enforceSso && LoginFinisher.bypassesSso(method) ? new SsoRequiredError() : undefined);
  }

  /** The ways in that an account enforcing SSO refuses (its own SAML connection is the way it wants). */
  private static bypassesSso(method: LoginMethod | null): boolean {
    return (SSO_BYPASSING_METHODS as readonly (LoginMethod | null)[]).includes(method);
  }

  /**
   * Whether a change that ends the user's sessions (a new password, disabled and enabled again)
   * came after `userVersion`, the user's version a password or IdP check saw: what that check
   * earned (a code, an account choice, a group confirmation) is void. A user who may not log in
   * at all now (disabled, no web access) is not "ended": the caller answers the refusal, the same
   * 403 the login would give. Null or undefined: recorded before versions were, nothing to compare.
   */
  static endedSince(user: UserRow, userVersion: number | null | undefined): boolean {
    return userVersion != null && user.sessionsEndedVersion > userVersion && !LoginFinisher.userRefusal(user);
  }

  /** What the user's own row forbids (no read): disabled, or no web access. */
  static userRefusal(user: UserRow): DomainError | undefined {
    if (!user.enabled) return new AccountDisabledError();
    if (!user.webAccess) return new WebAccessDeniedError();
    return undefined;
  }
}
