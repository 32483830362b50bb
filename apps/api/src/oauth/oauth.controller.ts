import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppConfig } from '@latchkey/config';
import {
  EXTERNAL_PROVIDERS,
  InvalidOAuthCallbackError,
  OAuthLoginCommand,
  ProviderNotConfiguredError,
  RejectOAuthLoginCommand,
  type ExternalProvider,
  type LoginResult,
} from '@latchkey/identity';
import { sha256 } from '@latchkey/security';
import type { FastifyReply, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import { answerBrowserLogin } from '../auth/browser-result';
import { clientContext } from '../auth/client-context';
import { FlowResults } from '../auth/flow-results.store';
import { markBrowser, sameBrowser } from '../auth/login-browser';
import { ApiLoginResult, ApiProblems } from '../auth/openapi';
import { OAuthProviders, OAuthRejection } from './oauth-providers.service';
import { OAuthStateStore } from './oauth-state.store';
import { StartOAuthQuery } from './oauth.dto';

@ApiTags('oauth')
@Controller('auth/oauth')
export class OAuthController {
  constructor(
    private readonly commands: CommandBus,
    private readonly config: AppConfig,
    private readonly providers: OAuthProviders,
    private readonly states: OAuthStateStore,
    private readonly flows: FlowResults,
  ) {}

  @Get(':provider')
  @ApiOperation({
    summary: 'Start a Google or GitHub login: 302 to the provider (state, PKCE S256 and, for Google, nonce)',
    description: 'Marks the browser (lk_login cookie: HttpOnly, Secure, SameSite=None, path /auth): the callback is only taken in the browser that started.',
  })
  @ApiProblems(404, 503)
  async start(@Param('provider') name: string, @Query() query: StartOAuthQuery, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const provider = providerOf(name);
    const state = oidc.randomState();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const nonce = provider === 'google' ? oidc.randomNonce() : undefined;
    const url = await this.providers.authorizationUrl(provider, { state, codeVerifier, nonce });
    const browser = markBrowser(req, res);
    await this.states.put(state, {
      provider,
      codeVerifier,
      ...(nonce ? { nonce } : {}),
      browser: sha256(browser),
      deviceToken: clientContext(req).deviceToken,
      locale: query.locale,
    });
    await res.header('Cache-Control', 'no-store').redirect(url, 302);
  }

  @Get(':provider/callback')
  @ApiOperation({
    summary: "The provider's redirect back: a login result",
    description:
      'JSON when the request accepts application/json; otherwise 303 to PUBLIC_WEB_URL/login/continue?flow=<flowId> (GET /auth/flows/:flowId returns it once). Tampered, missing or used state or code: 400 /problems/invalid-oauth-callback.',
  })
  @ApiLoginResult()
  @ApiProblems(400, 403, 404, 503)
  async callback(@Param('provider') name: string, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const provider = providerOf(name);
    // Answered directly: an unconfigured provider has no flow to continue in a browser.
    this.providers.assertConfigured(provider);
    await answerBrowserLogin(req, res, { config: this.config, flows: this.flows }, () => this.login(provider, req));
  }

  private async login(provider: ExternalProvider, req: FastifyRequest): Promise<LoginResult> {
    const rawQuery = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
    const params = new URLSearchParams(rawQuery);
    const state = params.get('state');
    try {
      const flow = state ? await this.states.take(state) : undefined;
      if (!flow || flow.provider !== provider) throw new OAuthRejection(state ? 'invalid_state: unknown, used or expired' : 'invalid_state: missing');
      if (!sameBrowser(req, flow.browser)) throw new OAuthRejection('browser_mismatch');
      if (!params.get('code') && !params.get('error')) throw new OAuthRejection('invalid_code: missing');
      const identity = await this.providers.identity(provider, rawQuery, { state: state!, codeVerifier: flow.codeVerifier, nonce: flow.nonce });
      const client = clientContext(req);
      return await this.commands.execute(new OAuthLoginCommand(provider, identity, { ...client, deviceToken: client.deviceToken ?? flow.deviceToken }, flow.locale));
    } catch (error) {
      if (!(error instanceof OAuthRejection)) throw error;
      await this.commands.execute(new RejectOAuthLoginCommand(provider, error.reason));
      throw new InvalidOAuthCallbackError();
    }
  }
}

function providerOf(name: string): ExternalProvider {
  if (!(EXTERNAL_PROVIDERS as readonly string[]).includes(name)) throw new ProviderNotConfiguredError();
  return name as ExternalProvider;
}
