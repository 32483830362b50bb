import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CHANNELS, ROLES, SUPPORTED_LOCALES } from '@latchkey/identity';

/** Response shapes of the admin API, for the OpenAPI document. */
export class AdminUserDoc {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) accountId!: string;
  @ApiProperty() email!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ nullable: true, example: 'Ana Horvat' }) name!: string | null;
  @ApiProperty({ nullable: true, example: '+385911234567' }) phone!: string | null;
  @ApiProperty({ enum: ROLES, isArray: true }) roles!: string[];
  @ApiProperty() webAccess!: boolean;
  @ApiProperty({ enum: CHANNELS }) twoFactorChannel!: string;
  @ApiProperty({ enum: SUPPORTED_LOCALES }) locale!: string;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class UserPageDoc {
  @ApiProperty({ type: [AdminUserDoc] }) items!: AdminUserDoc[];
  @ApiProperty() total!: number;
  @ApiProperty({ minimum: 1 }) page!: number;
  @ApiProperty() pageSize!: number;
}

export class DeviceDoc {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ nullable: true }) name!: string | null;
  @ApiProperty({ nullable: true }) userAgent!: string | null;
  @ApiProperty({ nullable: true }) ip!: string | null;
  @ApiProperty({ format: 'date-time' }) authorizedAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true }) lastUsedAt!: string | null;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}

export class SessionDeviceDoc {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ nullable: true }) name!: string | null;
  @ApiProperty({ nullable: true }) userAgent!: string | null;
}

export class SessionDoc {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['password', 'sso', 'google', 'github'] }) method!: string;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ format: 'date-time', description: 'the last refresh, or the start' }) lastActiveAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ type: SessionDeviceDoc, nullable: true, description: 'the trusted device it started on' }) device!: SessionDeviceDoc | null;
  @ApiProperty({ description: 'the session of the token that asks' }) current!: boolean;
}

export class SessionPageDoc {
  @ApiProperty({ type: [SessionDoc], description: 'all of them, most recently used first' }) items!: SessionDoc[];
  @ApiProperty({ type: 'string', nullable: true, description: 'always null: a user has few sessions' }) nextCursor!: null;
}

export class ActorDoc {
  @ApiProperty({ enum: ['user', 'admin', 'system', 'anonymous'] }) type!: string;
  @ApiProperty({ nullable: true }) id!: string | null;
}

export class HistoryItemDoc {
  @ApiProperty({ example: 'user.access_changed' }) type!: string;
  @ApiProperty({ format: 'date-time' }) occurredAt!: string;
  @ApiProperty({ type: ActorDoc }) actor!: ActorDoc;
  @ApiProperty({ nullable: true }) ip!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'the event payload without secret fields' }) data!: Record<string, unknown>;
}

export class AuditItemDoc extends HistoryItemDoc {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiPropertyOptional({ format: 'uuid', nullable: true }) userId!: string | null;
}

export class AuditPageDoc {
  @ApiProperty({ type: [AuditItemDoc] }) items!: AuditItemDoc[];
  @ApiProperty({ nullable: true, description: 'pass as cursor for the next (older) page; null at the end' }) nextCursor!: string | null;
}

export class SsoConnectionDoc {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid', description: 'the owning account' }) accountId!: string;
  @ApiProperty({ example: 'contoso' }) identifier!: string;
  @ApiProperty() idpEntityId!: string;
  @ApiProperty() idpSsoUrl!: string;
  @ApiProperty({ description: 'PEM (the first of idpCertificates)' }) idpCertificate!: string;
  @ApiProperty({ type: [String] }) idpCertificates!: string[];
  @ApiProperty({ type: [String] }) emailDomains!: string[];
  @ApiProperty({ type: [String] }) sharedWithAccountIds!: string[];
  @ApiProperty({ type: [String], description: 'accounts that accepted the offer and are served' }) joinedAccountIds!: string[];
  @ApiProperty() autoCreateUsers!: boolean;
  @ApiProperty() autoCreateGroups!: boolean;
  @ApiProperty() groupsAttribute!: string;
  @ApiProperty() emailAttribute!: string;
  @ApiProperty() enforceSso!: boolean;
  @ApiProperty() requireOtpOnNewDevice!: boolean;
  @ApiProperty() allowIdpInitiated!: boolean;
  @ApiProperty({ description: "false: another account's connection offered to this one" }) owned!: boolean;
  @ApiProperty({ description: 'SP entity id' }) entityId!: string;
  @ApiProperty() acsUrl!: string;
  @ApiProperty() metadataUrl!: string;
  @ApiProperty({ description: 'the SP-initiated URL' }) loginUrl!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class SsoConnectionListDoc {
  @ApiProperty({ type: [SsoConnectionDoc] }) items!: SsoConnectionDoc[];
  @ApiProperty({ nullable: true, type: String, description: 'always null: one page holds them all' }) nextCursor!: string | null;
}

export class GroupDoc {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['sso', 'local'] }) source!: string;
  @ApiProperty() memberCount!: number;
}
