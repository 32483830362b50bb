import { Module } from '@nestjs/common';
import { IdentityModule } from '@latchkey/identity';
import { AuthModule } from '../auth/auth.module';
import { SamlService } from './saml.service';
import { SamlStateStore } from './saml-state.store';
import { SpCredentials } from './sp-credentials.service';
import { SsoController } from './sso.controller';

@Module({
  imports: [IdentityModule, AuthModule],
  controllers: [SsoController],
  providers: [SamlService, SamlStateStore, SpCredentials],
})
export class SsoModule {}
