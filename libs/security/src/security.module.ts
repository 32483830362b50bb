import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { AppConfig } from '@latchkey/config';
import { DataSource } from 'typeorm';
import { PasswordHasher } from './password/password-hasher.service';
import { PasswordPolicy } from './password/password-policy.service';
import { RateLimiter } from './rate-limit/rate-limiter.service';
import { ENCRYPTION_KEYRING, loadKeyring } from './secrets/keyring';
import { SecretBox } from './secrets/secret-box.service';
import { Secrets } from './secrets/secrets';
import { SECURITY_OPTIONS, type SecurityOptions } from './security.options';
import { AccessTokens } from './tokens/access-tokens.service';
import { SigningKeys } from './tokens/signing-keys.service';

const SERVICES = [PasswordHasher, PasswordPolicy, Secrets, SecretBox, SigningKeys, AccessTokens, RateLimiter];

/**
 * The security primitives, global: password hashing and policy, tokens and codes, the
 * secret box, JWT signing keys and rate limits. Needs what PlatformModule provides
 * (AppConfig, TypeORM's DataSource, the Redis client, the Clock). Initialization loads the
 * keyring and the signing keys, so everything is synchronous to use afterwards.
 */
@Module({})
export class SecurityModule {
  static forRoot(options: SecurityOptions = {}): DynamicModule {
    const providers: Provider[] = [
      { provide: SECURITY_OPTIONS, useValue: options },
      // Async, so SecretBox (and everything sealed with it) exists only once the keyring is loaded.
      { provide: ENCRYPTION_KEYRING, useFactory: (config: AppConfig, dataSource: DataSource) => loadKeyring(config, dataSource), inject: [AppConfig, DataSource] },
      ...SERVICES,
    ];
    return { module: SecurityModule, global: true, providers, exports: SERVICES };
  }
}
