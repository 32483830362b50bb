import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppConfig } from '@latchkey/config';
import {
  CreateSsoConnectionCommand,
  GroupQueries,
  InvalidCertificateError,
  JoinSsoConnectionCommand,
  NotFoundError,
  RemoveSsoConnectionCommand,
  SsoConnectionQueries,
  UpdateSsoConnectionCommand,
  type ConnectionInput,
  type GroupRow,
  type SsoConnectionRow,
} from '@latchkey/identity';
import { RequestValidationError } from '@latchkey/platform';
import { refuseCursor } from '../single-page';
import { AccessTokenGuard } from '../auth/access-token/access-token.guard';
import { CurrentPrincipal, type Principal } from '../auth/access-token/principal';
import { ApiProblems } from '../auth/openapi';
import { uuidParam } from '../auth/uuid-param';
import { spUrls } from '../sso/saml.service';
import { AdminGuard } from './admin.guard';
import { GroupDoc, SsoConnectionDoc, SsoConnectionListDoc } from './admin.docs';
import { CreateSsoConnectionDto, UpdateSsoConnectionDto } from './admin-sso.dto';
import { HTTPS_UNLESS_LOCAL, isHttpsUnlessLocal } from '../formats';

/** A connection as an admin sees it: the stored settings, its SP URLs, and whose it is. */
export type SsoConnectionView = Omit<SsoConnectionRow, 'servedAccountIds' | 'createdAt' | 'updatedAt'> &
  ReturnType<typeof spUrls> & {
    /** The first of idpCertificates (API.md's single-certificate field). */
    idpCertificate: string;
    /** Accounts that joined (the owner sees all; a sharing account sees whether it did). */
    joinedAccountIds: string[];
    /** Whether the caller's account owns it (else it is offered to it). */
    owned: boolean;
    createdAt: string;
    updatedAt: string;
  };

/** The SAML connections of an account (API.md "Admin REST", sso-connections) and its groups. */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AccessTokenGuard, AdminGuard)
@Controller('admin')
export class AdminSsoController {
  constructor(
    private readonly commands: CommandBus,
    private readonly config: AppConfig,
    private readonly connections: SsoConnectionQueries,
    private readonly groups: GroupQueries,
  ) {}

  @Get('sso-connections')
  @ApiOperation({ summary: "The account's SAML connections and those other accounts offer it (owned: false)" })
  @ApiOkResponse({ type: SsoConnectionListDoc })
  @ApiProblems(400, 401, 403)
  async list(@CurrentPrincipal() admin: Principal, @Query('cursor') cursor?: string): Promise<{ items: SsoConnectionView[]; nextCursor: null }> {
    refuseCursor(cursor);
    const rows = await this.connections.visibleTo(admin.accountId);
    return { items: rows.map((row) => this.view(row, admin.accountId)), nextCursor: null };
  }

  @Post('sso-connections')
  @ApiOperation({ summary: 'Configure a SAML connection; answers it with its SP entityId, acsUrl, metadataUrl and loginUrl' })
  @ApiCreatedResponse({ type: SsoConnectionDoc })
  @ApiProblems(400, 401, 403, 409)
  async create(@CurrentPrincipal() admin: Principal, @Body() body: CreateSsoConnectionDto): Promise<SsoConnectionView> {
    const certificates = certificatesOf(body);
    // The DTO already refused a request without one (RequiredOneOf); this narrows the type.
    if (!certificates) throw new InvalidCertificateError({ errors: [{ field: 'idpCertificate', message: 'idpCertificate is required' }] });
    const settings: ConnectionInput = {
      identifier: body.identifier,
      idpEntityId: body.idpEntityId,
      idpSsoUrl: body.idpSsoUrl,
      idpCertificates: certificates,
      emailDomains: body.emailDomains ?? [],
      sharedWithAccountIds: body.sharedWithAccountIds ?? [],
      autoCreateUsers: body.autoCreateUsers ?? false,
      autoCreateGroups: body.autoCreateGroups ?? false,
      groupsAttribute: body.groupsAttribute ?? 'groups',
      emailAttribute: body.emailAttribute ?? 'email',
      enforceSso: body.enforceSso ?? false,
      requireOtpOnNewDevice: body.requireOtpOnNewDevice ?? false,
      allowIdpInitiated: body.allowIdpInitiated ?? false,
    };
    const { connectionId } = await this.commands.execute(new CreateSsoConnectionCommand(admin.accountId, settings));
    return this.visible(admin, connectionId);
  }

  @Get('sso-connections/:id')
  @ApiOperation({ summary: 'One connection (owned, or offered to this account)' })
  @ApiOkResponse({ type: SsoConnectionDoc })
  @ApiProblems(401, 403, 404)
  get(@CurrentPrincipal() admin: Principal, @Param('id', uuidParam()) id: string): Promise<SsoConnectionView> {
    return this.visible(admin, id);
  }

  @Patch('sso-connections/:id')
  @ApiOperation({ summary: 'Change a connection the account owns; accounts no longer in sharedWithAccountIds stop using it at once' })
  @ApiOkResponse({ type: SsoConnectionDoc })
  @ApiProblems(400, 401, 403, 404, 409)
  async update(@CurrentPrincipal() admin: Principal, @Param('id', uuidParam()) id: string, @Body() body: UpdateSsoConnectionDto): Promise<SsoConnectionView> {
    const { idpCertificate: _one, idpCertificates: _all, ...rest } = body;
    const certificates = certificatesOf(body);
    // https only, as for a new connection — but a connection read and sent back as it is keeps
    // the plain-http URL it had from before that rule.
    if (body.idpSsoUrl !== undefined && !isHttpsUnlessLocal(body.idpSsoUrl) && (await this.visible(admin, id)).idpSsoUrl !== body.idpSsoUrl) {
      throw new RequestValidationError([{ field: 'idpSsoUrl', message: `idpSsoUrl ${HTTPS_UNLESS_LOCAL}` }]);
    }
    const change: Partial<ConnectionInput> = { ...rest, ...(certificates ? { idpCertificates: certificates } : {}) };
    await this.commands.execute(new UpdateSsoConnectionCommand(admin.accountId, id, change));
    return this.visible(admin, id);
  }

  @Delete('sso-connections/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a connection the account owns (it stops serving every account at once)' })
  @ApiProblems(401, 403, 404)
  async remove(@CurrentPrincipal() admin: Principal, @Param('id', uuidParam()) id: string): Promise<void> {
    await this.commands.execute(new RemoveSsoConnectionCommand(admin.accountId, id));
  }

  @Post('sso-connections/:id/join')
  @HttpCode(204)
  @ApiOperation({ summary: "Shared SSO: this account starts using a connection another account offers it (both admins agree)" })
  @ApiProblems(400, 401, 403, 404)
  async join(@CurrentPrincipal() admin: Principal, @Param('id', uuidParam()) id: string): Promise<void> {
    await this.commands.execute(new JoinSsoConnectionCommand(admin.accountId, id, true));
  }

  @Delete('sso-connections/:id/join')
  @HttpCode(204)
  @ApiOperation({ summary: 'Shared SSO: this account stops using a connection another account offers it' })
  @ApiProblems(401, 403, 404)
  async leave(@CurrentPrincipal() admin: Principal, @Param('id', uuidParam()) id: string): Promise<void> {
    await this.visible(admin, id);
    await this.commands.execute(new JoinSsoConnectionCommand(admin.accountId, id, false));
  }

  @Get('groups')
  @ApiOperation({ summary: "The account's groups: [{id, name, source: sso | local, memberCount}]" })
  @ApiOkResponse({ type: [GroupDoc] })
  @ApiProblems(401, 403)
  listGroups(@CurrentPrincipal() admin: Principal): Promise<GroupRow[]> {
    return this.groups.ofAccount(admin.accountId);
  }

  private async visible(admin: Principal, id: string): Promise<SsoConnectionView> {
    const row = await this.connections.byId(id);
    if (!row || (row.accountId !== admin.accountId && !row.sharedWithAccountIds.includes(admin.accountId))) throw new NotFoundError();
    return this.view(row, admin.accountId);
  }

  private view(row: SsoConnectionRow, accountId: string): SsoConnectionView {
    const owned = row.accountId === accountId;
    const joined = row.servedAccountIds.filter((a) => a !== row.accountId);
    return {
      id: row.id,
      accountId: row.accountId,
      identifier: row.identifier,
      idpEntityId: row.idpEntityId,
      idpSsoUrl: row.idpSsoUrl,
      idpCertificate: row.idpCertificates[0],
      idpCertificates: row.idpCertificates,
      emailDomains: row.emailDomains,
      // Another account sees only what concerns itself, not who else the owner shares with.
      sharedWithAccountIds: owned ? row.sharedWithAccountIds : [accountId],
      joinedAccountIds: owned ? joined : joined.filter((a) => a === accountId),
      autoCreateUsers: row.autoCreateUsers,
      autoCreateGroups: row.autoCreateGroups,
      groupsAttribute: row.groupsAttribute,
      emailAttribute: row.emailAttribute,
      enforceSso: row.enforceSso,
      requireOtpOnNewDevice: row.requireOtpOnNewDevice,
      allowIdpInitiated: row.allowIdpInitiated,
      owned,
      ...spUrls(this.config.publicApiUrl, row.identifier),
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }
}

/** A PEM's base64 body, to compare two spellings of one certificate (headers, line breaks). */
const pemBody = (pem: string) => pem.replace(/-----[A-Z0-9 ]+-----/g, '').replace(/\s+/g, '');

/**
 * The certificates a request sets: `idpCertificates`, or the one `idpCertificate`. Both may come
 * (a connection read back and sent again has both) when `idpCertificate` is one of the list; a
 * changed `idpCertificate` beside a list without it must not be dropped without a word.
 */
function certificatesOf(body: { idpCertificate?: string; idpCertificates?: string[] }): string[] | undefined {
  const { idpCertificate, idpCertificates } = body;
  if (idpCertificate && idpCertificates && !idpCertificates.some((pem) => pemBody(pem) === pemBody(idpCertificate))) {
    throw new InvalidCertificateError({ errors: [{ field: 'idpCertificate', message: 'idpCertificate must be one of idpCertificates when both are sent' }] });
  }
  return idpCertificates ?? (idpCertificate ? [idpCertificate] : undefined);
}
