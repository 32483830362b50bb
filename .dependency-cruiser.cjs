/** Architecture rules (STYLE.md 12, ARCHITECTURE.md "Layout"), checked by `npm run lint`. */
// npm packages resolve to node_modules/<name>/...; a pattern per family of packages.
const pkg = (names) => `(^|/)node_modules/(${names.join('|')})/`;
const HTTP = pkg(['@nestjs/platform-fastify', 'fastify', '@fastify/[^/]+', '@nestjs/platform-express', 'express', '@nestjs/swagger', 'supertest', 'passport', 'passport-jwt', '@nestjs/passport', '@node-saml/[^/]+']);
const PERSISTENCE = pkg(['typeorm', '@nestjs/typeorm', 'pg', 'ioredis']);
const QUEUES = pkg(['bullmq', '@nestjs/bullmq', '@bull-board/[^/]+']);
const PROVIDER_SDKS = pkg(['@aws-sdk/[^/]+', 'openid-client']);

module.exports = {
  forbidden: [
    {
      name: 'identity-is-pure-domain',
      comment: 'libs/identity holds domain rules: no HTTP, TypeORM, database drivers, Redis, BullMQ or provider SDKs.',
      severity: 'error',
      from: { path: '^libs/identity/' },
      to: { path: [HTTP, PERSISTENCE, QUEUES, PROVIDER_SDKS] },
    },
    {
      name: 'identity-uses-no-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'providers-live-in-delivery',
      comment: 'Provider SDKs (SES, Infobip, OAuth clients) are used only by libs/delivery and the auth adapters in apps/api.',
      severity: 'error',
      from: { pathNot: '^(libs/delivery|apps/api|test)/' },
      to: { path: PROVIDER_SDKS },
    },
    {
      name: 'http-lives-in-apps',
      comment: 'HTTP frameworks belong to apps/api (and the shared ops endpoints in libs/platform).',
      severity: 'error',
      from: { path: '^libs/(identity|event-store|security|delivery|config)/' },
      to: { path: HTTP },
    },
    {
      name: 'queues-stay-out-of-the-domain',
      severity: 'error',
      from: { path: '^libs/(identity|event-store|security|config)/' },
      to: { path: QUEUES },
    },
    {
      name: 'apps-do-not-import-each-other',
      severity: 'error',
      from: { path: '^apps/api/' },
      to: { path: '^apps/worker/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'tests-stay-in-tests',
      comment: 'Production code never imports test peers or test support.',
      severity: 'error',
      from: { path: '^(apps|libs|scripts)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Keep a package's own entry file as the target, so rules can match its folder name.
    combinedDependencies: false,
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { dot: { collapsePattern: 'node_modules/(@[^/]+/[^/]+|[^/]+)' } },
  },
};
