export { loadConfig, loadConfigOrExit, isLoopback, ConfigError, MAX_QUEUE_SHARDS, DEV_ADMIN_KEY, DEV_INGEST_KEY, JOB_ATTEMPTS, DEV_SECRETS_KEY } from './config';
export { parseRetrySchedule, DEFAULT_WEBHOOK_RETRY_SCHEDULE } from './retry-schedule';
export type { Config } from './config';
