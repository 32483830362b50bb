export { TEST_ENCRYPTION_KEYS, testConfig, testEnvironment } from './config';
export { assertTestDatabase, createTestDatabase, dropDatabase, freshDatabaseName, withDatabase } from './database';
export { ROOT, builtEntry, freePort, runNode, waitForStatus, type RunningProcess } from './processes';
export { currentRun, redisPrefixOf } from './run';
export { TcpProxy } from './tcp-proxy';
export { startContext, type TestContext } from './context';
export * from './sample-domain';
export { CAUGHT_UP_SQL, GOOD_PASSWORD, auditCaughtUp, codeOf, hashesStarted, loginWithCode, signUp, startApi, unique, type SignedUp, type TestApi } from './api';
export { TestClock } from './clock';
