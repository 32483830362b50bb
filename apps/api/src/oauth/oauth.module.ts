import { Module } from '@nestjs/common';
import { IdentityModule } from '@latchkey/identity';
import { AuthModule } from '../auth/auth.module';
import { OAuthController } from './oauth.controller';
import { OAuthProviders } from './oauth-providers.service';
import { OAuthStateStore } from './oauth-state.store';

@Module({
  imports: [IdentityModule, AuthModule],
  controllers: [OAuthController],
  providers: [OAuthProviders, OAuthStateStore],
})
export class OAuthModule {}
