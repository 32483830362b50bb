import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import fastifyCookie from '@fastify/cookie';
import { AppConfig } from '@latchkey/config';
import { configureHttpApp, createHttpApp, createValidationPipe } from '@latchkey/platform';
import type { Logger as PinoLogger } from 'pino';
import { ApiModule } from './api.module';
import { mountQueueDashboard } from './ops/queue-dashboard';
import { acceptSamlForms } from './sso/form-body';

function setupOpenApi(app: INestApplication): void {
  const document = () =>
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('latchkey')
        .setDescription('Account access: password, SSO and OAuth logins, new-device codes, trusted devices, resets, admin API.')
        .setVersion('0.1.0')
        .addBearerAuth()
        .build(),
    );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}

/** The API as a Nest application, ready to `listen` (the entry point uses it). */
export async function createApiApp(config: AppConfig, extra: (Type | DynamicModule)[] = []): Promise<{ app: NestFastifyApplication; logger: PinoLogger }> {
  const { app, logger } = await createHttpApp(ApiModule.forRoot(config, extra), config, 'api');
  await configureApiApp(app, logger, false);
  return { app, logger };
}

/** What the API adds around its modules: cookies, validation, OpenAPI (tests reuse it). */
export async function configureApiApp(app: NestFastifyApplication, logger: PinoLogger, withPlatformHooks = true): Promise<NestFastifyApplication> {
  if (withPlatformHooks) configureHttpApp(app, logger);
  acceptSamlForms(app.getHttpAdapter().getInstance());
  await app.register(fastifyCookie);
  await mountQueueDashboard(app, app.get(AppConfig));
  app.useGlobalPipes(createValidationPipe());
  setupOpenApi(app);
  return app;
}
