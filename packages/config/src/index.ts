export { loadConfig, loadConfigOrExit, isLoopback, ConfigError, DEV_ADMIN_KEY, DEV_INGEST_KEY } from './config';
export type { Config } from './config';
