import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@latchkey/config';
import { ProviderNotConfiguredError, storableText, type ExternalIdentity, type ExternalProvider } from '@latchkey/identity';
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
      const email = typeof claims.email === 'string' ? claims.email : null;
      return checked({ subject: claims.sub, email, emailVerified: claims.email_verified === true });
    }
    return this.githubIdentity(tokens.access_token);
  }

  private async githubIdentity(accessToken: string): Promise<ExternalIdentity> {
    const api = this.config.github.apiUrl.replace(/\/+$/, '');
    const get = async (path: string): Promise<unknown> => {
      try {
        const res = await fetch(`${api}${path}`, {
          headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/vnd.github+json', 'User-Agent': 'latchkey' },
          signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
        });
        if (res.status >= 500) throw this.unavailable('GitHub API', new Error(`${path} answered ${res.status}`));
        if (res.status !== 200) throw new OAuthRejection(`github_api: ${path} answered ${res.status}`);
        return await res.json().catch(() => {
          throw new OAuthRejection(`github_api: ${path} answered something that is not JSON`);
        });
      } catch (error) {
        if (error instanceof OAuthRejection || error instanceof ProblemError) throw error;
        throw this.unavailable('GitHub API', error as Error);
      }
    };
    const user = (await get('/user')) as { id?: unknown } | null;
    const id = user && typeof user === 'object' ? user.id : undefined;
    if ((typeof id !== 'number' && typeof id !== 'string') || String(id) === '') throw new OAuthRejection('github_api: no user id');
    const emails = await get('/user/emails');
    const primary = Array.isArray(emails)
      ? (emails as unknown[]).find((e): e is { email: unknown; verified: unknown } => typeof e === 'object' && e !== null && (e as { primary?: unknown }).primary === true)
      : undefined;
    const email = typeof primary?.email === 'string' ? primary.email : null;
    return checked({ subject: String(id), email, emailVerified: email !== null && primary?.verified === true });
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
      // GitHub answers a refused code exchange with 200 and an `error` body; make it the 400 OAuth says it is.
      this.github[oidc.customFetch] = async (url, options) => {
        const res = await fetch(url, options as RequestInit);
        if (res.status !== 200 || !url.endsWith('/login/oauth/access_token')) return res;
        const body = (await res.clone().json().catch(() => null)) as { error?: unknown } | null;
        return body && typeof body.error === 'string' ? new Response(JSON.stringify(body), { status: 400, headers: { 'content-type': 'application/json' } }) : res;
      };
    }
    return this.github;
  }

  /** openid-client's failures → why the callback is refused; an unreachable or failing provider is a 503. */
  private rejection(error: unknown): Error {
    if (error instanceof oidc.ResponseBodyError) return new OAuthRejection(storableText(`token_exchange_failed: ${error.error}`, 300));
    if (error instanceof oidc.AuthorizationResponseError) return new OAuthRejection(storableText(`provider_error: ${error.error}`, 300));
    if (error instanceof TypeError && /fetch failed/i.test(error.message)) return this.unavailable('token endpoint', error); // refused, reset, DNS
    const { code, cause, message } = error as { code?: string; cause?: { cause?: { claim?: string }; message?: string; status?: number }; message?: string };
    switch (code) {
      case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED':
        return new OAuthRejection(`invalid_id_token: ${cause?.cause?.claim ?? 'claim'} mismatch`);
      case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED':
        return new OAuthRejection('invalid_id_token: expired or not yet valid');
      case 'OAUTH_KEY_SELECTION_FAILED':
        return new OAuthRejection('invalid_id_token: signed with an unknown key');
      case 'OAUTH_INVALID_RESPONSE':
        return new OAuthRejection(/signature/i.test(cause?.message ?? '') ? 'invalid_id_token: bad signature' : storableText(`invalid_response: ${cause?.message ?? message}`, 300));
      case 'OAUTH_RESPONSE_IS_NOT_CONFORM':
        if ((cause?.status ?? 0) >= 500) return this.unavailable('token endpoint', new Error(`answered ${cause?.status}`));
        return new OAuthRejection(`token_exchange_failed: status ${cause?.status}`);
      case 'OAUTH_RESPONSE_IS_NOT_JSON':
        return this.unavailable('token endpoint', new Error('answered something that is not JSON'));
      default:
        if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError') return this.unavailable('token endpoint', error as Error);
        return new OAuthRejection(storableText(`${code ?? 'invalid'}: ${message ?? String(error)}`, 300));
    }
  }

  private unavailable(what: string, error: Error): ProblemError {
    this.logger.warn(`${what} unreachable: ${error.message}`);
    return new ProblemError(PROBLEMS.unavailable, {}, { 'Retry-After': '5' });
  }
}

/** Values the events can hold: longer ones are refused, not failed on. */
function checked(identity: ExternalIdentity): ExternalIdentity {
  if (identity.subject.length > 255) throw new OAuthRejection('invalid_identity: subject too long');
  if (identity.email !== null && identity.email.length > 254) throw new OAuthRejection('invalid_identity: email too long');
  return identity;
}
