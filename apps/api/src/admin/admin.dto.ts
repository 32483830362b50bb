import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CHANNELS, ROLES, USERNAME_PATTERN, type Channel, type Role } from '@latchkey/identity';
import { ArrayMinSize, IsArray, IsBoolean, IsEmail, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class CreateUserDto {
  @ApiProperty({ example: 'ana@contoso.com' })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'ana' })
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'username must be 3-64 letters, digits, ".", "_" or "-", starting with a letter or digit' })
  username!: string;

  @ApiPropertyOptional({ example: '+385911234567' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  phone?: string;

  @ApiPropertyOptional({ enum: ROLES, isArray: true, default: ['member'] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @IsIn(ROLES, { each: true })
  roles?: Role[];

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  webAccess?: boolean;

  @ApiPropertyOptional({ enum: CHANNELS })
  @IsOptional()
  @IsIn(CHANNELS)
  twoFactorChannel?: Channel;

  @ApiPropertyOptional({ example: 'hr' })
  @IsOptional()
  @IsString()
  @MaxLength(35)
  locale?: string;
}
