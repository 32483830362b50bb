import { MaxUnits, OptionalField, Uuid } from '@latchkey/platform';
import { IsEmailAddress } from '../email-address';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString } from 'class-validator';

export class DiscoverDto {
  @ApiProperty({ example: 'ana@contoso.com' })
  @IsEmailAddress()
  @MaxUnits(254)
  email!: string;

  @ApiPropertyOptional({ example: 'contoso', description: 'the SP Initiation URL identifier, when the email maps to several connections' })
  @OptionalField()
  @IsString()
  @MaxUnits(64)
  identifier?: string;

  @ApiPropertyOptional({ example: 'hr', description: 'interface language picked on the login page' })
  @OptionalField()
  @IsString()
  @MaxUnits(35)
  locale?: string;
}

/** The IdP's HTML form post (application/x-www-form-urlencoded). */
export class AcsDto {
  @ApiProperty({ description: 'base64 SAML Response' })
  @IsString()
  @MaxUnits(400_000)
  SAMLResponse!: string;

  @ApiPropertyOptional()
  @OptionalField()
  @IsString()
  @MaxUnits(1024)
  RelayState?: string;
}

export class ConfirmGroupsDto {
  @ApiProperty({ format: 'uuid' })
  @Uuid()
  confirmationId!: string;
}

export class StartQuery {
  @ApiPropertyOptional({ example: 'hr' })
  @OptionalField()
  @IsString()
  @MaxUnits(35)
  locale?: string;
}
