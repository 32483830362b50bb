import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class StartOAuthQuery {
  @ApiPropertyOptional({ example: 'hr', description: 'interface language picked on the login page' })
  @IsOptional()
  @IsString()
  @MaxLength(35)
  locale?: string;
}
