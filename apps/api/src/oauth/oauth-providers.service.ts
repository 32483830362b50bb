import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@latchkey/config';
import { ProviderNotConfiguredError, type ExternalIdentity, type ExternalProvider } from '@latchkey/identity';
import { PROBLEMS, ProblemError } from '@latchkey/platform';
import * as oidc from 'openid-client';

/** A callback refused; `reason` goes into the rejected LoginAttempted event (never shown). */
export class OAuthRejection extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

const PROVIDER_TIMEOUT_MS = 10_000;

/**
 * Google (OpenID Connect, discovered from GOOGLE_ISSUER; the ID token's signature checked
 * against the issuer's JWKS, plus issuer, audience, expiry and nonce) and GitHub (OAuth 2.0
 * against GITHUB_URL, then the user and their primary verified email from GITHUB_API_URL, so
 * GitHub Enterprise works), both with PKCE (S256) and `state`, through openid-client.
 */
@Injectable()
export class OAuthProviders {
  private readonly logger = new Logger(OAuthProviders.name);
  private google: Promise<oidc.Configuration> | undefined;
  private github: oidc.Configuration | undefined;

  constructor(private readonly config: AppConfig) {}

  /** 404 /problems/provider-not-configured unless the provider has a client id and secret. */
  assertConfigured(provider: ExternalProvider): void {
    const { clientId, clientSecret } = provider === 'google' ? this.config.google : this.config.github;
    if (!clientId || !clientSecret) throw new ProviderNotConfiguredError();
  }

  redirectUri(provider: ExternalProvider): string {
    return `${this.config.publicApiUrl}/auth/oauth/${provider}/callback`;
  }

  /** The provider's authorization URL for a new flow. */
  async authorizationUrl(provider: ExternalProvider, flow: { state: string; codeVerifier: string; nonce?: string }): Promise<string> {
    const configuration = await this.configuration(provider);
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri(provider),
      scope: provider === 'google' ? 'openid email profile' : 'read:user user:email',
      state: flow.state,
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.codeVerifier),
      code_challenge_method: 'S256',
      ...(flow.nonce ? { nonce: flow.nonce } : {}),
    });
    return url.href;
  }

  /** Exchanges the callback's code (state, PKCE and nonce checked) for who the user is. */
  async identity(provider: ExternalProvider, callbackQuery: string, flow: { state: string; codeVerifier: string; nonce?: string }): Promise<ExternalIdentity> {
    const configuration = await this.configuration(provider);
    const current = new URL(`${this.redirectUri(provider)}?${callbackQuery}`);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(configuration, current, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        ...(provider === 'google' ? { expectedNonce: flow.nonce, idTokenExpected: true } : {}),
      });
    } catch (error) {
      throw this.rejection(error);
    }
    if (provider === 'google') {
      const claims = tokens.claims();
      if (!claims?.sub) throw new OAuthRejection('invalid_id_token: no subject');
      return {
        subject: claims.sub,
        email: typeof claims.email === 'string' ? claims.email : null,
        emailVerified: claims.email_verified === true,
      };
    }
    return this.githubIdentity(tokens.access_token);
  }

  private async githubIdentity(accessToken: string): Promise<ExternalIdentity> {
    const api = this.config.github.apiUrl.replace(/\/+$/, '');
    const get = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${api}${path}`, {
        headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/vnd.github+json', 'User-Agent': 'latchkey' },
        signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
      }).catch((error: Error) => {
        throw this.unavailable('GitHub API', error);
      });
      if (res.status >= 500) throw this.unavailable('GitHub API', new Error(`${path} answered ${res.status}`));
      if (res.status !== 200) throw new OAuthRejection(`github_api: ${path} answered ${res.status}`);
      return (await res.json()) as T;
    };
    const user = await get<{ id?: number | string }>('/user');
    if (user.id === undefined || user.id === null) throw new OAuthRejection('github_api: no user id');
    const emails = await get<{ email: string; primary: boolean; verified: boolean }[]>('/user/emails');
    const primary = Array.isArray(emails) ? emails.find((e) => e.primary) : undefined;
    return { subject: String(user.id), email: primary?.email ?? null, emailVerified: primary?.verified === true };
  }

  private async configuration(provider: ExternalProvider): Promise<oidc.Configuration> {
    if (provider === 'google') {
      const { clientId, clientSecret, issuer } = this.config.google;
      if (!clientId || !clientSecret) throw new ProviderNotConfiguredError();
      this.google ??= oidc
        .discovery(new URL(issuer), clientId, clientSecret, undefined, {
          execute: issuer.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
          timeout: PROVIDER_TIMEOUT_MS / 1000,
        })
        .then((configuration) => {
          // The ID token's signature is checked against the issuer's keys, not only trusted for arriving over TLS.
          oidc.enableNonRepudiationChecks(configuration);
          return configuration;
        })
        .catch((error: Error) => {
          this.google = undefined;
          throw this.unavailable('Google discovery', error);
        });
      return this.google;
    }
    const { clientId, clientSecret, url } = this.config.github;
    if (!clientId || !clientSecret) throw new ProviderNotConfiguredError();
    if (!this.github) {
      const base = url.replace(/\/+$/, '');
      this.github = new oidc.Configuration(
        { issuer: base, authorization_endpoint: `${base}/login/oauth/authorize`, token_endpoint: `${base}/login/oauth/access_token` },
        clientId,
        clientSecret,
      );
      if (base.startsWith('http:')) oidc.allowInsecureRequests(this.github);
    }
    return this.github;
  }

  /** openid-client's failures → why the callback is refused; an unreachable provider is a 503. */
  private rejection(error: unknown): Error {
    if (error instanceof oidc.ResponseBodyError) return new OAuthRejection(`token_exchange_failed: ${error.error}`.slice(0, 300));
    if (error instanceof oidc.AuthorizationResponseError) return new OAuthRejection(`provider_error: ${error.error}`.slice(0, 300));
    const message = (error as Error).message ?? String(error);
    if (/fetch failed|ECONNREFUSED|timed? ?out|aborted/i.test(message)) return this.unavailable('token endpoint', error as Error);
    const code = (error as { code?: string }).code ?? 'invalid';
    if (/nonce|aud|audience|iss|signature|exp|id_token|jwt|jws/i.test(message)) return new OAuthRejection(`invalid_id_token: ${message}`.slice(0, 300));
    return new OAuthRejection(`${code}: ${message}`.slice(0, 300));
  }

  private unavailable(what: string, error: Error): ProblemError {
    this.logger.warn(`${what} unreachable: ${error.message}`);
    return new ProblemError(PROBLEMS.unavailable, {}, { 'Retry-After': '5' });
  }
}
