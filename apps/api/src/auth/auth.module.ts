import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { IdentityModule } from '@latchkey/identity';
import { AccessTokenGuard } from './access-token/access-token.guard';
import { AccessTokenStrategy } from './access-token/access-token.strategy';
import { AuthController } from './auth.controller';
import { FlowResults } from './flow-results.store';
import { JwksController } from './jwks.controller';
import { MeController } from './me.controller';

@Module({
  imports: [PassportModule, IdentityModule],
  controllers: [AuthController, MeController, JwksController],
  providers: [AccessTokenStrategy, AccessTokenGuard, FlowResults],
  exports: [AccessTokenGuard, AccessTokenStrategy, FlowResults],
})
export class AuthModule {}
