import { Body, Controller, Delete, Get, HttpCode, Param, Patch, UseGuards } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ChangePreferencesCommand, GetMeQuery, ListDevicesQuery, RevokeDeviceCommand, type DeviceView, type MeView } from '@latchkey/identity';
import { AccessTokenGuard } from './access-token/access-token.guard';
import { CurrentPrincipal, type Principal } from './access-token/principal';
import { UpdateMeDto } from './dto/auth.dto';
import { ApiProblems } from './openapi';
import { uuidParam } from './uuid-param';

@ApiTags('me')
@ApiBearerAuth()
@UseGuards(AccessTokenGuard)
@Controller('auth/me')
export class MeController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The signed-in user (phone masked)' })
  @ApiProblems(401)
  me(@CurrentPrincipal() principal: Principal): Promise<MeView> {
    return this.queries.execute(new GetMeQuery(principal.userId));
  }

  @Patch()
  @ApiOperation({ summary: 'Change language, preferred code channel or phone (E.164, null removes it)' })
  @ApiProblems(400, 401)
  async update(@CurrentPrincipal() principal: Principal, @Body() body: UpdateMeDto): Promise<MeView> {
    await this.commands.execute(new ChangePreferencesCommand(principal.userId, { locale: body.locale, twoFactorChannel: body.twoFactorChannel, phone: body.phone }));
    return this.queries.execute(new GetMeQuery(principal.userId));
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
  async revokeDevice(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam('id')) id: string): Promise<void> {
    await this.commands.execute(new RevokeDeviceCommand(principal.userId, id, 'user'));
  }
}
