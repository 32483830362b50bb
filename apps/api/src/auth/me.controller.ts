import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, UseGuards } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ChangePasswordCommand,
  ChangePreferencesCommand,
  ExternalIdentityQueries,
  GetMeQuery,
  ListDevicesQuery,
  ListSessionsQuery,
  ReauthenticateCommand,
  RevokeDeviceCommand,
  RevokeSessionCommand,
  UnlinkIdentityCommand,
  type DeviceView,
  type LoginResult,
  type MeView,
  type SessionView,
} from '@latchkey/identity';
import { AccessTokenGuard } from './access-token/access-token.guard';
import { CurrentPrincipal, type Principal } from './access-token/principal';
import type { FastifyRequest } from 'fastify';
import { ChangePasswordDto, ReauthenticateDto, UpdateMeDto } from './dto/auth.dto';
import { clientContext } from './client-context';
import { ApiLoginResult, ApiProblems } from './openapi';
import { uuidParam } from './uuid-param';
import { refuseCursor } from '../single-page';

@ApiTags('me')
@ApiBearerAuth()
@UseGuards(AccessTokenGuard)
@Controller('auth/me')
export class MeController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly identities: ExternalIdentityQueries,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The signed-in user (phone masked)' })
  @ApiProblems(401)
  me(@CurrentPrincipal() principal: Principal): Promise<MeView> {
    return this.queries.execute(new GetMeQuery(principal.userId));
  }

  @Patch()
  @ApiOperation({
    summary: 'Change language, preferred code channel or phone (E.164, null removes it)',
    description:
      'A change of phone or code channel needs a session whose login (or reauthentication) was at most 15 minutes ago (else 403 reauthentication-required: POST /auth/me/reauthenticate, or log in again).',
  })
  @ApiProblems(400, 401, 403)
  async update(@CurrentPrincipal() principal: Principal, @Body() body: UpdateMeDto): Promise<MeView> {
    await this.commands.execute(
      new ChangePreferencesCommand(principal.userId, { locale: body.locale, twoFactorChannel: body.twoFactorChannel, phone: body.phone }, principal.sessionId),
    );
    return this.queries.execute(new GetMeQuery(principal.userId));
  }

  @Post('reauthenticate')
  @HttpCode(204)
  @ApiOperation({
    summary: "Enter the password again, on the session's trusted device: for 15 minutes the session counts as a recent login",
    description:
      "The session's trusted device must come with it (deviceToken, X-Device-Token or lk_device), else 403 reauthentication-required: log in again. Wrong password: 400 wrong-password (the session stays good); it counts as a login failure of the user's email and of the IP, and a full window answers 429 rate-limited. A user without a password (single sign-on, Google, GitHub): 409 no-password; an account that enforces SSO: 403 sso-required — log in again instead.",
  })
  @ApiProblems(400, 401, 403, 409, 429, 503)
  async reauthenticate(@CurrentPrincipal() principal: Principal, @Body() body: ReauthenticateDto, @Req() req: FastifyRequest): Promise<void> {
    const client = clientContext(req, body.deviceToken);
    await this.commands.execute(new ReauthenticateCommand(principal.userId, principal.sessionId, body.password, client.ip, client.deviceToken));
  }

  @Post('password')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Change the password (the current one proves it is the user); every session ends, this one goes on in a new session',
    description:
      "Answers `authenticated` with the new session's tokens: the caller's old access and refresh tokens, and every other session of the user, stop working. The new session is as recent a login as the old one was (a password change is no fresh login). The user is told by email. Wrong current password: 400 wrong-password (counts as a login failure of the user's email and of the IP; a full window: 429 rate-limited). Weak new password: 422 weak-password. A user without a password: 409 no-password (use the reset link instead); an account that enforces SSO: 403 sso-required.",
  })
  @ApiLoginResult()
  @ApiProblems(400, 401, 403, 409, 422, 429, 503)
  changePassword(@CurrentPrincipal() principal: Principal, @Body() body: ChangePasswordDto, @Req() req: FastifyRequest): Promise<LoginResult> {
    return this.commands.execute(new ChangePasswordCommand(principal.userId, principal.sessionId, body.currentPassword, body.newPassword, req.ip ?? null));
  }

  @Get('devices')
  @ApiOperation({ summary: 'Trusted devices: they skip the code until they expire or are revoked' })
  @ApiProblems(401)
  devices(@CurrentPrincipal() principal: Principal): Promise<DeviceView[]> {
    return this.queries.execute(new ListDevicesQuery(principal.userId));
  }

  @Delete('devices/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a trusted device: its next login needs a code' })
  @ApiProblems(401, 404)
  async revokeDevice(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam()) id: string): Promise<void> {
    await this.commands.execute(new RevokeDeviceCommand(principal.userId, id, 'user'));
  }

  @Get('sessions')
  @ApiOperation({
    summary: 'Where the user is signed in: the sessions that still work, most recently used first',
    description:
      '{items: [{id, method, startedAt, lastActiveAt, expiresAt, device: {id, name, userAgent} | null, current}], nextCursor: null} (all of them: a user has few); `current` marks the session of the token that asks.',
  })
  @ApiProblems(400, 401)
  async sessions(@CurrentPrincipal() principal: Principal, @Query('cursor') cursor?: string): Promise<{ items: SessionView[]; nextCursor: null }> {
    refuseCursor(cursor);
    return { items: await this.queries.execute(new ListSessionsQuery(principal.userId, principal.sessionId)), nextCursor: null };
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'End a session (its tokens stop working at once); the current one too, like a logout' })
  @ApiProblems(401, 404)
  async revokeSession(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam()) id: string): Promise<void> {
    await this.commands.execute(new RevokeSessionCommand(principal.userId, id, 'user'));
  }

  @Get('identities')
  @ApiOperation({ summary: 'Google and GitHub identities linked to the user: [{id, provider, subject, email, linkedAt}]' })
  @ApiProblems(401)
  async linkedIdentities(@CurrentPrincipal() principal: Principal): Promise<{ id: string; provider: string; subject: string; email: string; linkedAt: string }[]> {
    const rows = await this.identities.ofUser(principal.userId);
    return rows.map((r) => ({ id: r.id, provider: r.provider, subject: r.subject, email: r.email, linkedAt: r.linkedAt.toISOString() }));
  }

  @Delete('identities/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unlink an identity: it no longer logs in as this user (a later login links it again by verified email)' })
  @ApiProblems(401, 404)
  async unlinkIdentity(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam()) id: string): Promise<void> {
    await this.commands.execute(new UnlinkIdentityCommand(principal.userId, id));
  }
}
