export { loadConfig, loadConfigOrExit, isLoopback, ConfigError, DEV_ADMIN_KEY, DEV_INGEST_KEY, JOB_ATTEMPTS } from './config';
export type { Config } from './config';
