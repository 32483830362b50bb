import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  AdminQueries,
  AdminResetCommand,
  CreateUserCommand,
  IdentityReadModels,
  ListDevicesQuery,
  ListSessionsQuery,
  NotFoundError,
  RevokeDeviceCommand,
  RevokeSessionCommand,
  UnlockUserCommand,
  UpdateUserCommand,
  type DeviceView,
  type SessionView,
  type UserRow,
} from '@latchkey/identity';
import { AccessTokenGuard } from '../auth/access-token/access-token.guard';
import { CurrentPrincipal, type Principal } from '../auth/access-token/principal';
import { ApiProblems } from '../auth/openapi';
import { uuidParam } from '../auth/uuid-param';
import { AdminGuard } from './admin.guard';
import { CreateUserDto, ListUsersQuery, UpdateUserDto } from './admin.dto';
import { refuseCursor } from '../single-page';
import { adminUserView, type AdminUserView } from './admin-user.view';
import { AdminUserDoc, DeviceDoc, HistoryItemDoc, SessionPageDoc, UserPageDoc } from './admin.docs';

export interface HistoryItem {
  type: string;
  occurredAt: string;
  actor: { type: string; id: string | null };
  ip: string | null;
  data: Record<string, unknown>;
}

/** Events shown by GET /admin/users/:id/events (the latest ones). */
const HISTORY_LIMIT = 1000;

/**
 * Account admins manage the users of their own account. Every id is checked against the
 * token's account: another account's user is 404, never 403 and never data.
 */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AccessTokenGuard, AdminGuard)
@Controller('admin/users')
export class AdminUsersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly read: IdentityReadModels,
    private readonly queries: AdminQueries,
    private readonly queryBus: QueryBus,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Users of your account, searched by email, username or name, a page at a time' })
  @ApiOkResponse({ type: UserPageDoc })
  @ApiProblems(400, 401, 403)
  async list(@CurrentPrincipal() admin: Principal, @Query() query: ListUsersQuery): Promise<{ items: AdminUserView[]; total: number; page: number; pageSize: number }> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 20;
    const { items, total } = await this.queries.users(admin.accountId, query.query ?? '', page, pageSize);
    return { items: items.map(adminUserView), total, page, pageSize };
  }

  @Post()
  @ApiOperation({ summary: 'Create a user in your account; they get an invitation email with a set-password link (72 h)' })
  @ApiCreatedResponse({ type: AdminUserDoc })
  @ApiProblems(400, 401, 403, 409)
  async create(@CurrentPrincipal() admin: Principal, @Body() body: CreateUserDto): Promise<AdminUserView> {
    const { userId } = await this.commands.execute(new CreateUserCommand(admin.accountId, admin.userId, body));
    return adminUserView(await this.user(admin, userId));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One user of your account' })
  @ApiOkResponse({ type: AdminUserDoc })
  @ApiProblems(401, 403, 404)
  async get(@CurrentPrincipal() admin: Principal, @Param('id', uuidParam()) id: string): Promise<AdminUserView> {
    return adminUserView(await this.user(admin, id));
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change roles, web access, code channel, phone, language or enabled',
    description: 'Disabling a user ends their sessions. The last enabled account_admin cannot be demoted or disabled (409 /problems/last-admin).',
  })
  @ApiOkResponse({ type: AdminUserDoc })
  @ApiProblems(400, 401, 403, 404, 409)
  async update(@CurrentPrincipal() admin: Principal, @Param('id', uuidParam()) id: string, @Body() body: UpdateUserDto): Promise<AdminUserView> {
    await this.commands.execute(new UpdateUserCommand(admin.accountId, id, body, { userId: admin.userId, sessionId: admin.sessionId }));
    return adminUserView(await this.user(admin, id));
  }

  @Post(':id/password-reset')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send the user the same reset email as "forgot password" (not counted in the user\'s 3 an hour; at most 5 per user and 100 per account an hour, then 429 with Retry-After)',
  })
  @ApiProblems(400, 401, 403, 404, 429)
  async resetPassword(@CurrentPrincipal() admin: Principal, @Param('id', uuidParam()) id: string): Promise<void> {
    await this.commands.execute(new AdminResetCommand(admin.accountId, admin.userId, id));
  }

  @Get(':id/devices')
  @ApiOperation({ summary: "The user's trusted devices" })
  @ApiOkResponse({ type: [DeviceDoc] })
  @ApiProblems(401, 403, 404)
  async devices(@CurrentPrincipal() admin: Principal, @Param('id', uuidParam()) id: string): Promise<DeviceView[]> {
    await this.user(admin, id);
    return this.queryBus.execute(new ListDevicesQuery(id));
  }

  @Delete(':id/devices/:deviceId')
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke one of the user's trusted devices: its next login needs a code" })
  @ApiProblems(401, 403, 404)
  async revokeDevice(
    @CurrentPrincipal() admin: Principal,
    @Param('id', uuidParam()) id: string,
    @Param('deviceId', uuidParam()) deviceId: string,
  ): Promise<void> {
    await this.user(admin, id);
    await this.commands.execute(new RevokeDeviceCommand(id, deviceId, 'admin'));
  }

  @Get(':id/sessions')
  @ApiOperation({ summary: 'Where the user is signed in: their sessions that still work, most recently used first' })
  @ApiOkResponse({ type: SessionPageDoc })
  @ApiProblems(400, 401, 403, 404)
  async sessions(@CurrentPrincipal() admin: Principal, @Param('id', uuidParam()) id: string, @Query('cursor') cursor?: string): Promise<{ items: SessionView[]; nextCursor: null }> {
    refuseCursor(cursor);
    await this.user(admin, id);
    return { items: await this.queryBus.execute(new ListSessionsQuery(id, admin.sessionId)), nextCursor: null };
  }

  @Delete(':id/sessions/:sessionId')
  @HttpCode(204)
  @ApiOperation({ summary: "End one of the user's sessions: its tokens stop working at once" })
  @ApiProblems(401, 403, 404)
  async revokeSession(
    @CurrentPrincipal() admin: Principal,
    @Param('id', uuidParam()) id: string,
    @Param('sessionId', uuidParam()) sessionId: string,
  ): Promise<void> {
    await this.user(admin, id);
    await this.commands.execute(new RevokeSessionCommand(id, sessionId, 'admin'));
  }

  @Post(':id/unlock')
  @HttpCode(204)
  @ApiOperation({ summary: "Clear the login throttling of the user's email and username" })
  @ApiProblems(400, 401, 403, 404)
  async unlock(@CurrentPrincipal() admin: Principal, @Param('id', uuidParam()) id: string): Promise<void> {
    await this.commands.execute(new UnlockUserCommand(admin.accountId, id));
  }

  @Get(':id/events')
  @ApiOperation({
    summary: "The user's event history, oldest first (the latest 1,000): type, time, actor, ip and data without secrets",
    description: 'Served from the audit projection, which follows the event store within moments.',
  })
  @ApiOkResponse({ type: [HistoryItemDoc] })
  @ApiProblems(401, 403, 404)
  async events(@CurrentPrincipal() admin: Principal, @Param('id', uuidParam()) id: string): Promise<HistoryItem[]> {
    await this.user(admin, id);
    const rows = await this.queries.history(admin.accountId, id, HISTORY_LIMIT);
    return rows.map((r) => ({ type: r.type, occurredAt: r.occurredAt.toISOString(), actor: r.actor, ip: r.ip, data: r.data }));
  }

  /** A user of the admin's account, or 404. */
  private async user(admin: Principal, id: string): Promise<UserRow> {
    const user = await this.read.userById(id);
    if (!user || user.accountId !== admin.accountId) throw new NotFoundError();
    return user;
  }
}
