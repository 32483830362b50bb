import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '@latchkey/config';
import { bodyParsing, createValidationPipe } from '@latchkey/platform';
import cookieParser from 'cookie-parser';
import { Logger } from 'nestjs-pino';
import { ApiModule } from './api.module';

/** Paths that accept urlencoded forms (SAML HTTP-POST binding); everything else is JSON. */
const FORM_PATHS = [/^\/auth\/saml\/[^/]+\/acs$/];

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

/** The API as a Nest application, ready to `listen` (the entry point and the tests both use it). */
export async function createApiApp(config: AppConfig, extra: (Type | DynamicModule)[] = []): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config, extra), {
    bodyParser: false,
    bufferLogs: true,
  });
  return configureApiApp(app, config);
}

/** Everything around the modules: logger, proxies, cookies, bodies, validation, OpenAPI. */
export function configureApiApp(app: NestExpressApplication, config: AppConfig): NestExpressApplication {
  app.useLogger(app.get(Logger));
  app.set('trust proxy', config.http.trustProxy);
  app.disable('x-powered-by');
  app.use(cookieParser());
  app.use(...bodyParsing({ limitBytes: config.http.bodyLimitBytes, formPaths: FORM_PATHS }));
  app.useGlobalPipes(createValidationPipe());
  setupOpenApi(app);
  return app;
}
