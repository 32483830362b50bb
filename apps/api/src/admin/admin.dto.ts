import { MaxUnits, OptionalField, Uuid } from '@latchkey/platform';
import { IsEmailAddress } from '../email-address';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CHANNELS, ROLES, USERNAME_PATTERN, type Channel, type Role } from '@latchkey/identity';
import { Type } from 'class-transformer';
import { UpdateMeDto } from '../auth/dto/auth.dto';
import { ArrayMinSize, IsArray, IsBoolean, IsIn, IsISO8601, IsInt, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';
import { IsE164Phone } from '../formats';

export class CreateUserDto {
  @ApiProperty({ example: 'ana@contoso.com' })
  @IsEmailAddress()
  @MaxUnits(254)
  email!: string;

  @ApiProperty({ example: 'ana' })
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'username must be 3-64 letters, digits, ".", "_" or "-", starting with a letter or digit' })
  username!: string;

  @ApiPropertyOptional({ example: 'Ana Horvat', description: 'display name' })
  @OptionalField()
  @IsString()
  @MaxUnits(200)
  name?: string;

  @ApiPropertyOptional({ example: '+385911234567' })
  @OptionalField()
  @IsString()
  @MaxUnits(32)
  @IsE164Phone()
  phone?: string;

  @ApiPropertyOptional({ enum: ROLES, isArray: true, default: ['member'] })
  @OptionalField()
  @IsArray()
  @ArrayMinSize(1)
  @IsIn(ROLES, { each: true })
  roles?: Role[];

  @ApiPropertyOptional({ default: true })
  @OptionalField()
  @IsBoolean()
  webAccess?: boolean;

  @ApiPropertyOptional({ enum: CHANNELS })
  @OptionalField()
  @IsIn(CHANNELS)
  twoFactorChannel?: Channel;

  @ApiPropertyOptional({ example: 'hr' })
  @OptionalField()
  @IsString()
  @MaxUnits(35)
  locale?: string;
}

/** What a user may change on themselves (PATCH /auth/me), plus what only an admin may change. */
export class UpdateUserDto extends UpdateMeDto {
  @ApiPropertyOptional({ enum: ROLES, isArray: true })
  @OptionalField()
  @IsArray()
  @ArrayMinSize(1)
  @IsIn(ROLES, { each: true })
  roles?: Role[];

  @ApiPropertyOptional()
  @OptionalField()
  @IsBoolean()
  webAccess?: boolean;

  @ApiPropertyOptional({ example: 'Ana Horvat', nullable: true, description: 'display name, or null to remove' })
  @ValidateIf((_o, value) => value !== null && value !== undefined)
  @IsString()
  @MaxUnits(200)
  name?: string | null;

  @ApiPropertyOptional({ description: 'false disables the user and ends their sessions' })
  @OptionalField()
  @IsBoolean()
  enabled?: boolean;
}

export class ListUsersQuery {
  @ApiPropertyOptional({ description: 'part of an email, username or name, any case' })
  @OptionalField()
  @IsString()
  @MaxUnits(320)
  query?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000, default: 1 })
  @OptionalField()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @OptionalField()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  pageSize?: number;
}

export class AuditQuery {
  @ApiPropertyOptional({ example: 'login.attempted' })
  @OptionalField()
  @IsString()
  @MaxUnits(100)
  type?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @OptionalField()
  @Uuid()
  userId?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'inclusive' })
  @OptionalField()
  @IsISO8601()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'exclusive' })
  @OptionalField()
  @IsISO8601()
  to?: string;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @OptionalField()
  @IsString()
  @MaxUnits(200)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @OptionalField()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}
