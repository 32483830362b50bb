import { Module } from '@nestjs/common';
import { IdentityModule } from '@latchkey/identity';
import { FlowResults } from './flow-results.store';
import { SamlService } from './saml.service';
import { SamlStateStore } from './saml-state.store';
import { SpCredentials } from './sp-credentials.service';
import { SsoController } from './sso.controller';

@Module({
  imports: [IdentityModule],
  controllers: [SsoController],
  providers: [SamlService, SamlStateStore, SpCredentials, FlowResults],
  exports: [SamlService],
})
export class SsoModule {}
