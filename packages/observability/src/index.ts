export { createLogger, redactUrl, REDACT_PATHS } from './logger';
export type { Logger } from './logger';
export { createIngestMetrics, createWorkerMetrics } from './metrics';
export type { IngestMetrics, WorkerMetrics } from './metrics';
