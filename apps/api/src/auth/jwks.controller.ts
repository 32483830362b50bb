import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AccessTokens } from '@latchkey/security';

@ApiTags('auth')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly tokens: AccessTokens) {}

  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Public keys that verify access tokens (EdDSA, by kid), including recently retired ones' })
  jwks(): unknown {
    return this.tokens.jwks();
  }
}
