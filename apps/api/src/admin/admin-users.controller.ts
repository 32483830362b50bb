import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminResetCommand, CreateUserCommand, IdentityReadModels, NotFoundError } from '@latchkey/identity';
import { AccessTokenGuard } from '../auth/access-token/access-token.guard';
import { CurrentPrincipal, type Principal } from '../auth/access-token/principal';
import { ApiProblems } from '../auth/openapi';
import { uuidParam } from '../auth/uuid-param';
import { AdminGuard } from './admin.guard';
import { CreateUserDto } from './admin.dto';
import { adminUserView, type AdminUserView } from './admin-user.view';

@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AccessTokenGuard, AdminGuard)
@Controller('admin/users')
export class AdminUsersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly read: IdentityReadModels,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create a user in your account; they get an invitation email with a set-password link (72 h)',
  })
  @ApiProblems(400, 401, 403, 409)
  async create(@CurrentPrincipal() admin: Principal, @Body() body: CreateUserDto): Promise<AdminUserView> {
    const { userId } = await this.commands.execute(new CreateUserCommand(admin.accountId, admin.userId, body));
    const user = await this.read.userById(userId);
    if (!user) throw new NotFoundError();
    return adminUserView(user);
  }

  @Post(':id/password-reset')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send the user the same reset email as "forgot password" (at most 3 per user per hour)' })
  @ApiProblems(400, 401, 403, 404)
  async resetPassword(@CurrentPrincipal() admin: Principal, @Param('id', uuidParam('id')) id: string): Promise<void> {
    await this.commands.execute(new AdminResetCommand(admin.accountId, admin.userId, id));
  }
}
