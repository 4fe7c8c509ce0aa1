/**
 * The delivery worker process: one BullMQ Worker per lane with its own concurrency, so a bulk
 * import never delays a password reset. On SIGTERM it stops taking jobs, lets running ones
 * finish for up to SHUTDOWN_GRACE_MS, then closes anyway: jobs still running are left to
 * BullMQ's stalled-job recovery and delivered after a restart (the send-once record in the
 * job's data keeps that from sending twice). Run as many replicas as the load needs.
 */
import { Worker } from 'bullmq';
import { LANES } from '@mc/core';
import { WEBHOOKS_QUEUE, laneQueueName, singleQueueName } from '@mc/contracts';
import { JOB_ATTEMPTS, loadConfigOrExit } from '@mc/config';
import { AuditLogRepository, EventLogPartitionsRepository, ProofsRepository, requireMigrations } from '@mc/db';
import { serveWorkerMetrics } from './metrics-server';
import { createLogger, createWorkerMetrics } from '@mc/observability';
import { createWorkerContext } from './context';
import { createDeliveryProcessor } from './delivery.processor';
import { backoffStrategy } from './retry-policy';
import { workerName } from './worker-name';
import { startMaintenance } from './maintenance';
import { onJobFailed } from './job-endings';
import { createSecretBox } from '@mc/core';
import { createWebhookProcessor, webhookBackoff } from './webhook.processor';
import { createWebhookPoster } from './webhook-sender';

async function main(): Promise<void> {
  const config = loadConfigOrExit('worker');
  const logger = createLogger({ name: 'worker', level: config.logLevel });
  for (const warning of config.warnings) logger.warn(warning);
  const metrics = createWorkerMetrics();
  await requireMigrations({ databaseUrl: config.databaseUrl, warn: (message) => logger.warn(message) }); // refuses to start: run npm run migrate
  const ctx = await createWorkerContext(config, logger, metrics);
  const processor = createDeliveryProcessor({
    eventTypes: ctx.eventTypes,
    events: ctx.events,
    suppressions: ctx.suppressions,
    routes: ctx.routes,
    providers: ctx.providers,
    mailFrom: config.mailFrom,
    retryBaseDelayMs: config.worker.retryBaseDelayMs,
    retryMaxDelayMs: config.worker.retryMaxDelayMs,
    retry: config.worker.retry,
    metrics,
    logger,
  });

  const onFailed = onJobFailed({ events: ctx.events, logger });
  const name = workerName();
  // One BullMQ Worker per lane and shard this worker consumes (WORKER_SHARDS, default all); the
  // lane's concurrency applies to each of its shards.
  const workers = LANES.flatMap((lane) => config.worker.shards.map((shard) => ({ lane, queue: laneQueueName(lane, shard, config.queues) }))).map(({ lane, queue }) => {
    const worker = new Worker(queue, processor, {
      name,
      connection: ctx.connection,
      prefix: config.queuePrefix,
      concurrency: lane === 'realtime' ? config.worker.realtimeConcurrency : config.worker.batchConcurrency,
      settings: { backoffStrategy: backoffStrategy(config.worker.retryBaseDelayMs, config.worker.retryMaxDelayMs) },
      // Completed jobs are in Postgres; keep a window of them for the dashboard only.
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 7 * 86400, count: 10_000 },
    });
    // A job that fails for good still settles its event (see onJobFailed).
    worker.on('failed', (job, error) => void onFailed(job, error));
    worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
    return worker;
  });
  // Status webhooks: the outbox rows the settles wrote, delivered with their own retries.
  const webhookWorker = new Worker(
    singleQueueName(WEBHOOKS_QUEUE, config.queues),
    createWebhookProcessor({
      webhooks: ctx.webhooks,
      secretBox: config.secretsKey ? createSecretBox(Buffer.from(config.secretsKey, 'base64')) : undefined,
      post: createWebhookPoster({ policy: config.outbound, timeoutMs: config.webhooks.timeoutMs }),
      schedule: config.webhooks.retryScheduleMs,
      disableAfterMs: config.webhooks.disableAfterMs,
      logger,
    }),
    {
      name,
      connection: ctx.connection,
      prefix: config.queuePrefix,
      concurrency: config.worker.realtimeConcurrency,
      settings: { backoffStrategy: webhookBackoff(config.webhooks.retryScheduleMs) },
    },
  );
  webhookWorker.on('error', (error) => logger.error({ err: error }, 'webhook worker error'));
  const maintenance = await startMaintenance({
    connection: ctx.connection,
    prefix: config.queuePrefix,
    topology: config.queues,
    retentionDays: config.worker.retentionDays,
    events: ctx.events,
    partitions: new EventLogPartitionsRepository(ctx.prisma),
    audit: new AuditLogRepository(ctx.prisma),
    proofs: new ProofsRepository(ctx.prisma),
    jobAttempts: JOB_ATTEMPTS,
    webhooks: ctx.webhooks,
    webhookRetries: config.webhooks.retryScheduleMs.length,
    logger,
  });
  const metricsServer =
    config.worker.metricsPort === undefined
      ? undefined
      : await serveWorkerMetrics(metrics.registry, config.worker.metricsPort, config.host);
  logger.info(
    { name, lanes: LANES, shards: config.worker.shards, queueShards: config.queues.shards, cluster: config.redisCluster !== undefined, realtime: config.worker.realtimeConcurrency, batch: config.worker.batchConcurrency },
    'worker started',
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    const graceMs = config.worker.shutdownGraceMs;
    // Whatever hangs after the deadline (a connection that will not close), the process ends.
    setTimeout(() => process.exit(0), graceMs + 5_000).unref();
    logger.info({ signal, graceMs }, 'shutting down: no new jobs; finishing running ones');
    // pause() stops taking jobs and resolves when the running ones are done; close(true) after
    // the deadline abandons the rest to BullMQ's stalled-job recovery (their locks lapse).
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.all([...workers.map((w) => w.pause()), webhookWorker.pause(), maintenance.close()]).then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    if (!drained) logger.warn({ graceMs }, 'shutdown deadline passed; jobs still running are left to stalled-job recovery');
    await Promise.all([...workers.map((w) => w.close(true)), webhookWorker.close(true)]).catch((error: unknown) => logger.error({ err: error }, 'closing the workers'));
    metricsServer?.close();
    await ctx.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(`worker: failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
