import { Optional } from '@latchkey/platform';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsString, IsUrl, IsUUID, Matches, MaxLength } from 'class-validator';

const IDENTIFIER = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$/;
const DOMAIN = /^@?([a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}$/;

/** Fields of PATCH: every one optional. POST requires some (below). */
export class UpdateSsoConnectionDto {
  @ApiPropertyOptional({ example: 'contoso', description: 'URL-safe, unique: /login/saml/<identifier>/' })
  @Optional()
  @Matches(IDENTIFIER, { message: 'identifier must be 1-64 letters, digits, "-" or "_", starting with a letter or digit' })
  identifier?: string;

  @ApiPropertyOptional({ example: 'https://idp.contoso.com/saml' })
  @Optional()
  @IsString()
  @MaxLength(1024)
  idpEntityId?: string;

  @ApiPropertyOptional({ example: 'https://idp.contoso.com/saml/sso' })
  @Optional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  @MaxLength(2048)
  idpSsoUrl?: string;

  @ApiPropertyOptional({ description: "the IdP's signing certificate, PEM with or without the BEGIN/END lines" })
  @Optional()
  @IsString()
  @MaxLength(16_384)
  idpCertificate?: string;

  @ApiPropertyOptional({ type: [String], description: 'during a certificate rotation: both certificates (then idpCertificate is ignored)' })
  @Optional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(2)
  @IsString({ each: true })
  @MaxLength(16_384, { each: true })
  idpCertificates?: string[];

  @ApiPropertyOptional({ type: [String], example: ['contoso.com'] })
  @Optional()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(DOMAIN, { each: true, message: 'each email domain must be a domain name, e.g. contoso.com' })
  emailDomains?: string[];

  @ApiPropertyOptional({ type: [String], description: 'accounts offered this connection; each joins through its own admin' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  sharedWithAccountIds?: string[];

  @ApiPropertyOptional({ default: false })
  @Optional()
  @IsBoolean()
  autoCreateUsers?: boolean;

  @ApiPropertyOptional({ default: false })
  @Optional()
  @IsBoolean()
  autoCreateGroups?: boolean;

  @ApiPropertyOptional({ default: 'groups' })
  @Optional()
  @IsString()
  @MaxLength(256)
  groupsAttribute?: string;

  @ApiPropertyOptional({ default: 'email' })
  @Optional()
  @IsString()
  @MaxLength(256)
  emailAttribute?: string;

  @ApiPropertyOptional({ default: false, description: "password, Google and GitHub logins of this account's users answer 403 /problems/sso-required" })
  @Optional()
  @IsBoolean()
  enforceSso?: boolean;

  @ApiPropertyOptional({ default: false, description: 'ask for a one-time code on new devices (default: the IdP does MFA)' })
  @Optional()
  @IsBoolean()
  requireOtpOnNewDevice?: boolean;

  @ApiPropertyOptional({ default: false, description: 'accept IdP-initiated responses (without InResponseTo)' })
  @Optional()
  @IsBoolean()
  allowIdpInitiated?: boolean;
}

export class CreateSsoConnectionDto extends UpdateSsoConnectionDto {
  @ApiProperty({ example: 'contoso' })
  @Matches(IDENTIFIER, { message: 'identifier must be 1-64 letters, digits, "-" or "_", starting with a letter or digit' })
  declare identifier: string;

  @ApiProperty({ example: 'https://idp.contoso.com/saml' })
  @IsString()
  @MaxLength(1024)
  declare idpEntityId: string;

  @ApiProperty({ example: 'https://idp.contoso.com/saml/sso' })
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  @MaxLength(2048)
  declare idpSsoUrl: string;
}
