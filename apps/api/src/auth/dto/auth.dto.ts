import { MaxUnits, OptionalField, Uuid } from '@latchkey/platform';
import { IsEmailAddress } from '../../email-address';
import { IsE164Phone } from '../../formats';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CHANNELS, USERNAME_PATTERN, type Channel } from '@latchkey/identity';
import { IsBoolean, IsIn, IsString, Length, Matches, ValidateIf } from 'class-validator';

export class SignUpDto {
  @ApiProperty({ example: 'Contoso' })
  @IsString()
  @Length(1, 200)
  @MaxUnits(200)
  @Matches(/\S/, { message: 'accountName must not be blank' })
  accountName!: string;

  @ApiProperty({ example: 'jane@contoso.com' })
  @IsEmailAddress()
  @MaxUnits(254)
  email!: string;

  @ApiProperty({ example: 'jane', description: '3-64 letters, digits, ".", "_" or "-"; unique across the system' })
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'username must be 3-64 letters, digits, ".", "_" or "-", starting with a letter or digit' })
  username!: string;

  // No length check here: any length past 256 is the password rule's 422 (too_long), as API.md says.
  @ApiProperty({ description: '10-256 characters, not a common password, not the email or username' })
  @IsString()
  password!: string;

  @ApiPropertyOptional({ example: '+385911234567', description: 'E.164; makes SMS the code channel' })
  @OptionalField()
  @IsString()
  @MaxUnits(32)
  @IsE164Phone()
  phone?: string;

  @ApiPropertyOptional({ example: 'de-AT', description: 'BCP 47; the closest of en, de, es, fr, hr' })
  @OptionalField()
  @IsString()
  @MaxUnits(35)
  locale?: string;
}

export class LoginDto {
  @ApiProperty({ description: 'email or username, case-insensitive' })
  @IsString()
  @Length(1, 320)
  @MaxUnits(320)
  login!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 4096)
  @MaxUnits(4096)
  password!: string;

  @ApiPropertyOptional({ description: 'interface language; becomes the preferred language' })
  @OptionalField()
  @IsString()
  @MaxUnits(35)
  locale?: string;

  @ApiPropertyOptional({ description: 'trusted-device token (also accepted as X-Device-Token header or lk_device cookie)' })
  @OptionalField()
  @IsString()
  @MaxUnits(512)
  deviceToken?: string;
}

export class VerifyOtpDto {
  @ApiProperty({ format: 'uuid' })
  @Uuid()
  challengeId!: string;

  @ApiProperty({ example: '042917' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'code must be 6 digits' })
  code!: string;

  @ApiPropertyOptional({ default: true, description: 'remember this device: no code on its next logins' })
  @OptionalField()
  @IsBoolean()
  trustDevice?: boolean;

  @ApiPropertyOptional({ example: 'Work laptop' })
  @OptionalField()
  @IsString()
  @MaxUnits(200)
  deviceName?: string;
}

export class ResendOtpDto {
  @ApiProperty({ format: 'uuid' })
  @Uuid()
  challengeId!: string;

  @ApiPropertyOptional({ enum: CHANNELS, description: 'one of the challenge availableChannels' })
  @OptionalField()
  @IsIn(CHANNELS)
  channel?: Channel;
}

export class ReauthenticateDto {
  @ApiProperty({ description: "the signed-in user's password" })
  @IsString()
  @Length(1, 4096)
  @MaxUnits(4096)
  password!: string;

  @ApiPropertyOptional({ description: "the session's trusted-device token (also accepted as X-Device-Token header or lk_device cookie)" })
  @OptionalField()
  @IsString()
  @MaxUnits(512)
  deviceToken?: string;
}

export class ChangePasswordDto {
  @ApiProperty({ description: "the user's password now" })
  @IsString()
  @Length(1, 4096)
  @MaxUnits(4096)
  currentPassword!: string;

  // No length check here: any length past 256 is the password rule's 422 (too_long), as for a reset.
  @ApiProperty({ description: '10-256 characters, not a common password, not the email or username' })
  @IsString()
  newPassword!: string;
}

export class RefreshTokenDto {
  @ApiProperty()
  @IsString()
  @Length(1, 512)
  @MaxUnits(512)
  refreshToken!: string;
}

export class SelectAccountDto {
  @ApiProperty({ format: 'uuid' })
  @Uuid()
  selectionId!: string;

  @ApiProperty({ format: 'uuid' })
  @Uuid()
  accountId!: string;

  @ApiPropertyOptional({
    description: 'trusted-device token (also accepted as X-Device-Token header or lk_device cookie); without one, the device the login step was given counts',
  })
  @OptionalField()
  @IsString()
  @MaxUnits(512)
  deviceToken?: string;
}

export class UpdateMeDto {
  @ApiPropertyOptional({ example: 'fr' })
  @OptionalField()
  @IsString()
  @MaxUnits(35)
  locale?: string;

  @ApiPropertyOptional({ enum: CHANNELS })
  @OptionalField()
  @IsIn(CHANNELS)
  twoFactorChannel?: Channel;

  @ApiPropertyOptional({ example: '+385911234567', nullable: true, description: 'E.164, or null to remove' })
  @ValidateIf((_o, value) => value !== null && value !== undefined)
  @IsString()
  @MaxUnits(32)
  @IsE164Phone()
  phone?: string | null;
}

export class ForgotPasswordDto {
  @ApiProperty({ description: 'email or username' })
  @IsString()
  @Length(1, 320)
  @MaxUnits(320)
  login!: string;

  @ApiPropertyOptional({ description: "the page's language: the email is written in it (the user's preferred language when absent); not stored" })
  @OptionalField()
  @IsString()
  @MaxUnits(35)
  locale?: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'the token from the reset or invitation link' })
  @IsString()
  @Length(1, 512)
  @MaxUnits(512)
  token!: string;

  // No length check here: any length past 256 is the password rule's 422 (too_long), as API.md says.
  @ApiProperty({ description: '10-256 characters, not a common password, not the email or username' })
  @IsString()
  newPassword!: string;
}
