import { Module, type DynamicModule, type Type } from '@nestjs/common';
import type { AppConfig } from '@latchkey/config';
import { PlatformModule } from '@latchkey/platform';
import { SecurityModule } from '@latchkey/security';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { domainProblems } from './problems';
import { SsoModule } from './sso/sso.module';
import { OAuthModule } from './oauth/oauth.module';

@Module({})
export class ApiModule {
  /** `extra` lets tests mount modules of their own beside the product's. */
  static forRoot(config: AppConfig, extra: (Type | DynamicModule)[] = []): DynamicModule {
    return {
      module: ApiModule,
      imports: [PlatformModule.forRoot(config, { app: 'api', problems: domainProblems }), SecurityModule.forRoot(), AuthModule, SsoModule, OAuthModule, AdminModule, ...extra],
    };
  }
}
