/** @jest-config-loader-options {"transpileOnly": true} */
import type { Config } from 'jest';

const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

/**
 * openid-client 6 and its dependencies ship ES modules only. Node 20.19+ loads them from our
 * CommonJS build natively (require of ES modules); jest's module runtime cannot, so tests get
 * them compiled to CommonJS.
 */
const ESM_ONLY = ['openid-client', 'oauth4webapi', 'jose'];
const swcJs = { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } };

/**
 * One suite: unit specs beside the code (`*.unit.spec.ts`), integration and end-to-end
 * specs in test/ (`*.int.spec.ts`, `*.e2e.spec.ts`) against the real PostgreSQL and Redis.
 * The global set-up makes a migrated template database for this run; each spec file
 * clones its own from it, and the teardown drops them all.
 */
const config: Config = {
  rootDir: '.',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/{apps,libs,test}/**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', swc],
    [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: ['@swc/jest', swcJs],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  moduleNameMapper: {
    // @fastify/static (OpenAPI UI assets) pulls an ES-module-only content-disposition, which
    // Node 20 loads natively but jest's module runtime cannot; tests get the CommonJS 1.x line.
    '^content-disposition$': '<rootDir>/node_modules/content-disposition',
    '^@latchkey/testing$': '<rootDir>/test/support',
    '^@latchkey/(config|event-store|identity|delivery|security|platform)$': '<rootDir>/libs/$1/src',
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30_000,
  maxWorkers: 2,
  // A spec that leaves a handle open must not hang CI.
  forceExit: true,
};

export default config;
