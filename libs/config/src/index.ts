export {
  AppConfig,
  ConfigError,
  configurationWarnings,
  environmentVariables,
  loadConfig,
  loadConfigOrExit,
  setEnvironmentVariable,
  type EncryptionKey,
} from './app-config';
export { ConfigModule } from './config.module';
export { environmentSchema, type Environment } from './config.schema';
