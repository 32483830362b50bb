import { MaxUnits, OptionalField } from '@latchkey/platform';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString } from 'class-validator';

export class StartOAuthQuery {
  @ApiPropertyOptional({ example: 'hr', description: 'interface language picked on the login page' })
  @OptionalField()
  @IsString()
  @MaxUnits(35)
  locale?: string;
}
