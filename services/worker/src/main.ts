/**
 * The delivery worker process: one BullMQ Worker per lane with its own concurrency, so a bulk
 * import never delays a password reset. On SIGTERM it stops taking jobs, lets running ones
 * finish, and closes its connections. Run as many replicas as the load needs.
 */
import { Worker } from 'bullmq';
import { LANES } from '@mc/core';
import { QUEUE_NAMES } from '@mc/contracts';
import { loadConfigOrExit } from '@mc/config';
import { requireMigrations } from '@mc/db';
import { serveWorkerMetrics } from './metrics-server';
import { createLogger, createWorkerMetrics } from '@mc/observability';
import { createWorkerContext } from './context';
import { createDeliveryProcessor } from './delivery.processor';
import { backoffStrategy } from './retry-policy';
import { workerName } from './worker-name';
import { startMaintenance } from './maintenance';

async function main(): Promise<void> {
  const config = loadConfigOrExit('worker');
  const logger = createLogger({ name: 'worker', level: config.logLevel });
  const metrics = createWorkerMetrics();
  await requireMigrations({ databaseUrl: config.databaseUrl, warn: (message) => logger.warn(message) }); // refuses to start: run npm run migrate
  const ctx = await createWorkerContext(config, logger);
  const processor = createDeliveryProcessor({
    eventTypes: ctx.eventTypes,
    events: ctx.events,
    suppressions: ctx.suppressions,
    routes: ctx.routes,
    providers: ctx.providers,
    mailFrom: config.mailFrom,
    retryBaseDelayMs: config.worker.retryBaseDelayMs,
    retry: config.worker.retry,
    metrics,
    logger,
  });

  const name = workerName();
  const workers = LANES.map((lane) => {
    const worker = new Worker(QUEUE_NAMES[lane], processor, {
      name,
      connection: ctx.connection,
      prefix: config.queuePrefix,
      concurrency: lane === 'realtime' ? config.worker.realtimeConcurrency : config.worker.batchConcurrency,
      settings: { backoffStrategy: backoffStrategy(config.worker.retryBaseDelayMs) },
      // Completed jobs are in Postgres; keep a window of them for the dashboard only.
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 7 * 86400, count: 10_000 },
    });
    worker.on('failed', (job, error) => {
      if (job && error.name !== 'RetryLaterError') logger.error({ jobId: job.id, err: error }, 'job failed');
    });
    worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
    return worker;
  });
  const maintenance = await startMaintenance({
    connection: ctx.connection,
    prefix: config.queuePrefix,
    retentionDays: config.worker.retentionDays,
    events: ctx.events,
    logger,
  });
  const metricsServer =
    config.worker.metricsPort === undefined
      ? undefined
      : await serveWorkerMetrics(metrics.registry, config.worker.metricsPort, config.host);
  logger.info(
    { name, lanes: LANES, realtime: config.worker.realtimeConcurrency, batch: config.worker.batchConcurrency },
    'worker started',
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down: finishing running jobs');
    await Promise.all([...workers.map((w) => w.close()), maintenance.close()]);
    metricsServer?.close();
    await ctx.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(`worker: failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
