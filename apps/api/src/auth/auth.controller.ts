import { Body, Controller, Get, Header, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppConfig } from '@latchkey/config';
import {
  CompleteResetCommand,
  GetChallengeQuery,
  RequestResetCommand,
  LogoutCommand,
  NotFoundError,
  PasswordLoginCommand,
  RefreshSessionCommand,
  ResendOtpCommand,
  SelectAccountCommand,
  SignUpCommand,
  VerifyOtpCommand,
  type ChallengeView,
  type LoginResult,
  type ResendResult,
} from '@latchkey/identity';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientContext, setDeviceCookie } from './client-context';
import { FlowResults } from './flow-results.store';
import { browserOf } from './login-browser';
import { sha256 } from '@latchkey/security';
import { ForgotPasswordDto, LoginDto, RefreshTokenDto, ResendOtpDto, ResetPasswordDto, SelectAccountDto, SignUpDto, VerifyOtpDto } from './dto/auth.dto';
import { ApiLoginResult, ApiProblems } from './openapi';
import { uuidParam } from './uuid-param';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly config: AppConfig,
    private readonly flows: FlowResults,
  ) {}

  @Post('signup')
  @ApiOperation({ summary: 'Create an account and its first account_admin' })
  @ApiProblems(400, 409, 422, 429)
  signUp(@Body() body: SignUpDto): Promise<{ accountId: string; userId: string }> {
    return this.commands.execute(new SignUpCommand(body.accountName, body.email, body.username, body.password, body.phone, body.locale));
  }

  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in with email or username and password' })
  @ApiLoginResult()
  @ApiProblems(400, 401, 403, 429, 503)
  async login(@Body() body: LoginDto, @Req() req: FastifyRequest, @Res({ passthrough: true }) res: FastifyReply): Promise<LoginResult> {
    const result = await this.commands.execute(new PasswordLoginCommand(body.login, body.password, clientContext(req, body.deviceToken), body.locale));
    return this.answer(result, res);
  }

  @Post('otp/verify')
  @HttpCode(200)
  @ApiOperation({ summary: 'Check the one-time code of a challenge; trusts the device unless trustDevice is false' })
  @ApiLoginResult()
  @ApiProblems(400, 403, 404, 410, 429)
  async verifyOtp(@Body() body: VerifyOtpDto, @Req() req: FastifyRequest, @Res({ passthrough: true }) res: FastifyReply): Promise<LoginResult> {
    const result = await this.commands.execute(
      new VerifyOtpCommand(body.challengeId, body.code, body.trustDevice ?? true, body.deviceName, clientContext(req)),
    );
    return this.answer(result, res);
  }

  @Post('otp/resend')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a new code (optionally on another available channel); the earlier code stops working' })
  @ApiProblems(400, 404, 410, 429)
  resendOtp(@Body() body: ResendOtpDto): Promise<ResendResult> {
    return this.commands.execute(new ResendOtpCommand(body.challengeId, body.channel));
  }

  @Get('otp/:challengeId')
  @ApiOperation({
    summary: 'Where the code of an open challenge went: channel, destination and whether a provider accepted it',
    description: 'delivery is pending, delivered or failed; after failed a new code is already on its way on the next available channel.',
  })
  @ApiProblems(404)
  challenge(@Param('challengeId', uuidParam()) challengeId: string): Promise<ChallengeView> {
    return this.queries.execute(new GetChallengeQuery(challengeId));
  }

  @Post('sso/select-account')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pick the account when a login matched users in several accounts' })
  @ApiLoginResult()
  @ApiProblems(400, 403, 404, 429)
  async selectAccount(@Body() body: SelectAccountDto, @Req() req: FastifyRequest, @Res({ passthrough: true }) res: FastifyReply): Promise<LoginResult> {
    const result = await this.commands.execute(new SelectAccountCommand(body.selectionId, body.accountId, clientContext(req, body.deviceToken)));
    return this.answer(result, res);
  }

  @Post('token/refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'New tokens for a refresh token; the old one is spent (presenting it again revokes the session)' })
  @ApiLoginResult()
  @ApiProblems(400, 401)
  @Header('Cache-Control', 'no-store')
  refresh(@Body() body: RefreshTokenDto): Promise<LoginResult> {
    return this.commands.execute(new RefreshSessionCommand(body.refreshToken));
  }

  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'End the session of a refresh token' })
  @ApiProblems(400)
  async logout(@Body() body: RefreshTokenDto): Promise<void> {
    await this.commands.execute(new LogoutCommand(body.refreshToken));
  }

  @Post('password/forgot')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send a reset link to the user with this email or username, if there is one (always 202)',
    description: 'The email goes out after the answer, so neither the status nor the timing tells whether the login exists. More than 20 requests per hour from one IP: 429.',
  })
  @ApiProblems(400, 429)
  async forgotPassword(@Body() body: ForgotPasswordDto, @Req() req: FastifyRequest): Promise<void> {
    await this.commands.execute(new RequestResetCommand(body.login, req.ip ?? null, body.locale));
  }

  @Post('password/reset')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Set a new password with the token of a reset or invitation link',
    description: 'The link works once, until it expires, and only while it is the newest of the user. All sessions of the user end; the user is not logged in.',
  })
  @ApiProblems(400, 422)
  async resetPassword(@Body() body: ResetPasswordDto): Promise<void> {
    await this.commands.execute(new CompleteResetCommand(body.token, body.newPassword));
  }

  @Get('flows/:flowId')
  @ApiOperation({
    summary: 'The result of a login that ended on a browser redirect (SAML, Google, GitHub); readable once (then 404)',
    description: 'Only in the browser that started the login: the request must carry its lk_login cookie (fetch with credentials).',
  })
  @ApiLoginResult()
  @ApiProblems(400, 401, 403, 404)
  async flow(@Param('flowId') flowId: string, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    // Only the browser the login finished in gets it (else anyone could hand their own login to someone else's browser).
    const browser = browserOf(req);
    const result = /^[A-Za-z0-9_-]{20,100}$/.test(flowId) ? await this.flows.take(flowId, browser ? sha256(browser) : null) : undefined;
    if (!result) throw new NotFoundError();
    // A refusal to try again later says when, counted from now (as it would have been said at once).
    if (result.retryAt) res.header('Retry-After', String(Math.max(1, Math.ceil((result.retryAt - Date.now()) / 1000))));
    await res.status(result.status).header('Cache-Control', 'no-store').type(result.contentType).send(JSON.stringify(result.body));
  }

  private answer(result: LoginResult, res: FastifyReply): LoginResult {
    if (result.status === 'authenticated' && result.deviceToken) setDeviceCookie(res, result.deviceToken, this.config);
    res.header('Cache-Control', 'no-store');
    return result;
  }
}
