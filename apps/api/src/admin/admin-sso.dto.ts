import { MaxUnits, OptionalField, RequiredOneOf, Uuid } from '@latchkey/platform';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsString, IsUrl, Length, Matches } from 'class-validator';
import { HttpsUnlessLocal, IsPemCertificate } from '../formats';

const IDENTIFIER = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$/;
const DOMAIN = /^@?([a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}$/;

/** The rules of the three fields POST requires and PATCH may change: one place for both. */
const identifierRule = () => Matches(IDENTIFIER, { message: 'identifier must be 1-64 letters, digits, "-" or "_", starting with a letter or digit' });
const entityIdRules = () => [IsString(), Length(1, 1024), MaxUnits(1024)];
/** `secure`: https only (http to localhost); a PATCH checks that itself, since it may send back a URL the connection already has. */
const ssoUrlRules = (secure = true) => [IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }), ...(secure ? [HttpsUnlessLocal()] : []), MaxUnits(2048)];
const allOf = (rules: PropertyDecorator[]): PropertyDecorator => (target, key) => rules.forEach((rule) => rule(target, key));

/**
 * The settings both POST and PATCH take, every one optional. The three POST requires are declared
 * in each class below: a subclass cannot make a field its parent marks optional required again
 * (class-validator keeps the parent's "skip when absent"), which let POSTs without them through to
 * the event's schema (a 500).
 */
class SsoConnectionSettingsDto {
  @ApiPropertyOptional({ description: "the IdP's signing certificate, PEM with or without the BEGIN/END lines" })
  @OptionalField()
  @IsString()
  @MaxUnits(16_384)
  @IsPemCertificate()
  idpCertificate?: string;

  @ApiPropertyOptional({ type: [String], description: 'during a certificate rotation: both certificates (idpCertificate, when sent too, must be one of them)' })
  @OptionalField()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(2)
  @IsString({ each: true })
  @MaxUnits(16_384, { each: true })
  @IsPemCertificate({ each: true })
  idpCertificates?: string[];

  @ApiPropertyOptional({ type: [String], example: ['contoso.com'] })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(DOMAIN, { each: true, message: 'each email domain must be a domain name, e.g. contoso.com' })
  emailDomains?: string[];

  @ApiPropertyOptional({ type: [String], description: 'accounts offered this connection; each joins through its own admin' })
  @OptionalField()
  @IsArray()
  @ArrayMaxSize(100)
  @Uuid({ each: true })
  sharedWithAccountIds?: string[];

  @ApiPropertyOptional({ default: false })
  @OptionalField()
  @IsBoolean()
  autoCreateUsers?: boolean;

  @ApiPropertyOptional({ default: false })
  @OptionalField()
  @IsBoolean()
  autoCreateGroups?: boolean;

  @ApiPropertyOptional({ default: 'groups' })
  @OptionalField()
  @IsString()
  @Matches(/\S/, { message: 'groupsAttribute must not be blank' })
  @MaxUnits(256)
  groupsAttribute?: string;

  @ApiPropertyOptional({ default: 'email' })
  @OptionalField()
  @IsString()
  @Matches(/\S/, { message: 'emailAttribute must not be blank' })
  @MaxUnits(256)
  emailAttribute?: string;

  @ApiPropertyOptional({ default: false, description: "password, Google and GitHub logins of this account's users answer 403 /problems/sso-required" })
  @OptionalField()
  @IsBoolean()
  enforceSso?: boolean;

  @ApiPropertyOptional({ default: false, description: 'ask for a one-time code on new devices (default: the IdP does MFA)' })
  @OptionalField()
  @IsBoolean()
  requireOtpOnNewDevice?: boolean;

  @ApiPropertyOptional({ default: false, description: 'accept IdP-initiated responses (without InResponseTo)' })
  @OptionalField()
  @IsBoolean()
  allowIdpInitiated?: boolean;
}

/** PATCH: every field optional. */
export class UpdateSsoConnectionDto extends SsoConnectionSettingsDto {
  @ApiPropertyOptional({ example: 'contoso', description: 'URL-safe, unique: /login/saml/<identifier>/' })
  @OptionalField()
  @identifierRule()
  identifier?: string;

  @ApiPropertyOptional({ example: 'https://idp.contoso.com/saml' })
  @OptionalField()
  @allOf(entityIdRules())
  idpEntityId?: string;

  @ApiPropertyOptional({ example: 'https://idp.contoso.com/saml/sso' })
  @OptionalField()
  @allOf(ssoUrlRules(false))
  idpSsoUrl?: string;
}

/** POST: identifier, idpEntityId, idpSsoUrl and a certificate required. */
export class CreateSsoConnectionDto extends SsoConnectionSettingsDto {
  /** Not a field: a certificate must come, as `idpCertificate` or `idpCertificates`. */
  @RequiredOneOf(['idpCertificate', 'idpCertificates'], 'idpCertificate is required')
  private readonly certificateGiven?: never;

  @ApiProperty({ example: 'contoso', description: 'URL-safe, unique: /login/saml/<identifier>/' })
  @identifierRule()
  identifier!: string;

  @ApiProperty({ example: 'https://idp.contoso.com/saml' })
  @allOf(entityIdRules())
  idpEntityId!: string;

  @ApiProperty({ example: 'https://idp.contoso.com/saml/sso' })
  @allOf(ssoUrlRules())
  idpSsoUrl!: string;
}
