import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { AppConfig } from '@latchkey/config';
import {
  ConfirmGroupsCommand,
  InvalidSamlResponseError,
  NotFoundError,
  RejectSsoLoginCommand,
  SsoConnectionQueries,
  SsoLoginCommand,
  SsoNotConfiguredError,
  type LoginResult,
  type SsoConnectionRow,
} from '@latchkey/identity';
import { RateLimiter, SecretBox } from '@latchkey/security';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientContext } from '../auth/client-context';
import { ApiLoginResult, ApiProblems } from '../auth/openapi';
import { answerBrowserLogin } from '../auth/browser-result';
import { FlowResults } from '../auth/flow-results.store';
import { markBrowser, sameBrowser } from '../auth/login-browser';
import { SamlRejection, SamlService } from './saml.service';
import { AcsDto, ConfirmGroupsDto, DiscoverDto, StartQuery } from './sso.dto';

type Discovery = { status: 'redirect'; redirectUrl: string } | { status: 'identifier_required' };

/** Rejected IdP responses recorded in the audit per client IP, and per connection, in a window. */
const REJECTIONS_RECORDED_PER_CLIENT = 50;
const REJECTIONS_RECORDED_PER_CONNECTION = 500;
const REJECTION_WINDOW_SECONDS = 3600;

@ApiTags('sso')
@Controller()
export class SsoController {
  constructor(
    private readonly commands: CommandBus,
    private readonly config: AppConfig,
    private readonly connections: SsoConnectionQueries,
    private readonly saml: SamlService,
    private readonly flows: FlowResults,
    private readonly limiter: RateLimiter,
    private readonly box: SecretBox,
  ) {}

  @Post('auth/sso/discover')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Find the SSO connection for an email: a redirect URL, or identifier_required when several match',
    description:
      'An email maps to every connection serving an account where a user with that email exists, and to every connection listing its domain. The redirect URL is the connection\'s SP-initiated URL: navigate the browser there (it marks the browser, then goes on to the IdP).',
  })
  @ApiProblems(400, 404)
  async discover(@Body() body: DiscoverDto, @Res({ passthrough: true }) res: FastifyReply): Promise<Discovery> {
    let candidates = await this.connections.forEmail(body.email);
    if (body.identifier) candidates = candidates.filter((c) => c.identifier.toLowerCase() === body.identifier!.toLowerCase());
    res.header('Cache-Control', 'no-store');
    if (candidates.length === 0) throw new SsoNotConfiguredError();
    if (candidates.length > 1) return { status: 'identifier_required' };
    const { loginUrl } = this.saml.urls(candidates[0]);
    return { status: 'redirect', redirectUrl: body.locale ? `${loginUrl}?locale=${encodeURIComponent(body.locale)}` : loginUrl };
  }

  @Get('login/saml/:identifier')
  @ApiOperation({
    summary: 'The SP-initiated URL of a connection: 302 to its IdP with a signed SAMLRequest',
    description: 'Also marks the browser (lk_login cookie: HttpOnly, Secure, SameSite=None, path /auth): the ACS takes the response only from the browser that started the login.',
  })
  @ApiProblems(404)
  async start(@Param('identifier') identifier: string, @Query() query: StartQuery, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    // An unknown identifier is an unknown id, as for the connection's metadata and ACS.
    const connection = await this.connection(identifier, new NotFoundError());
    const browser = markBrowser(req, res);
    const url = await this.saml.authorizeUrl(connection, { deviceToken: clientContext(req).deviceToken, locale: query.locale, browser });
    await res.header('Cache-Control', 'no-store').redirect(url, 302);
  }

  @Get('auth/saml/:identifier/metadata')
  @Header('Content-Type', 'application/samlmetadata+xml; charset=utf-8')
  @ApiOperation({ summary: "The SP metadata of a connection (entity id, ACS URL, the SP's signing certificate)" })
  @ApiProduces('application/samlmetadata+xml')
  @ApiProblems(404)
  async metadata(@Param('identifier') identifier: string): Promise<string> {
    return this.saml.metadata(await this.connection(identifier, new NotFoundError()));
  }

  @Post('auth/saml/:identifier/acs')
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({
    summary: "The IdP's response (HTTP-POST binding): a login result",
    description:
      'JSON when the request accepts application/json; otherwise 303 to PUBLIC_WEB_URL/login/continue?flow=<flowId>, where GET /auth/flows/:flowId returns the result (or the problem) once.',
  })
  @ApiLoginResult()
  @ApiProblems(400, 401, 403, 404)
  async acs(@Param('identifier') identifier: string, @Body() body: AcsDto, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    await answerBrowserLogin(req, res, { config: this.config, flows: this.flows }, () => this.login(identifier, body.SAMLResponse, req));
  }

  @Post('auth/sso/confirm-groups')
  @HttpCode(200)
  @ApiOperation({ summary: '"I understand": apply the group changes shown in groups_confirmation_required, then go on with the login' })
  @ApiLoginResult()
  @ApiProblems(400, 403, 404)
  async confirmGroups(@Body() body: ConfirmGroupsDto, @Req() req: FastifyRequest, @Res({ passthrough: true }) res: FastifyReply): Promise<LoginResult> {
    res.header('Cache-Control', 'no-store');
    return this.commands.execute(new ConfirmGroupsCommand(body.confirmationId, clientContext(req)));
  }

  private async login(identifier: string, samlResponse: string, req: FastifyRequest): Promise<LoginResult> {
    const connection = await this.connection(identifier, new NotFoundError());
    let verified;
    try {
      verified = await this.saml.verify(connection, samlResponse, (expected) => sameBrowser(req, expected));
    } catch (error) {
      if (!(error instanceof SamlRejection)) throw error;
      // Anyone may post junk to a connection's public ACS; each rejection lands in the owner's
      // audit, which is append-only. Past a few per client and a few hundred per connection the
      // answer is the same 401, but nothing more is recorded (a security probe filled an audit).
      // A client past its own allowance uses none of the connection's, so no one client can
      // silence the connection's audit for the others.
      const byClient = await this.limiter.hit(`sso-rejections:ip:${this.box.hmac('rate-limit', clientContext(req).ip ?? 'unknown')}`, REJECTIONS_RECORDED_PER_CLIENT, REJECTION_WINDOW_SECONDS);
      const byConnection = byClient.allowed && (await this.limiter.hit(`sso-rejections:connection:${connection.id}`, REJECTIONS_RECORDED_PER_CONNECTION, REJECTION_WINDOW_SECONDS));
      if (byConnection && byConnection.allowed) await this.commands.execute(new RejectSsoLoginCommand(connection.id, error.reason));
      throw new InvalidSamlResponseError();
    }
    const { context } = verified;
    const client = clientContext(req);
    return this.commands.execute(
      new SsoLoginCommand(connection.id, verified.identity, { ...client, deviceToken: client.deviceToken ?? context.deviceToken }, context.locale),
    );
  }

  private async connection(identifier: string, missing: Error): Promise<SsoConnectionRow> {
    const connection = /^[A-Za-z0-9_-]{1,64}$/.test(identifier) ? await this.connections.byIdentifier(identifier) : undefined;
    if (!connection) throw missing;
    return connection;
  }
}
