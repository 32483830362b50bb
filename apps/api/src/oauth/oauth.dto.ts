import { OptionalField } from '@latchkey/platform';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class StartOAuthQuery {
  @ApiPropertyOptional({ example: 'hr', description: 'interface language picked on the login page' })
  @OptionalField()
  @IsString()
  @MaxLength(35)
  locale?: string;
}
