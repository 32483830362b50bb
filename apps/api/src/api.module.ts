import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@latchkey/config';
import { DOMAIN_PROBLEMS, PlatformModule } from '@latchkey/platform';
import { domainProblems } from './problems';

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [PlatformModule.forRoot(config, { app: 'api' })],
      providers: [{ provide: DOMAIN_PROBLEMS, useValue: domainProblems }],
    };
  }
}
