/**
 * Housekeeping on a schedule, run by the workers (a BullMQ job scheduler makes each run happen
 * once across all replicas):
 * - every hour, the event log's partitions for today and the next days are made ready (one per
 *   UTC day), and those of earlier days within retention whose rows landed in the default
 *   partition (they move into their day), whatever the retention;
 * - every hour, retention: days of the event log older than the retention period are detached
 *   and dropped whole (they hold personal data in their payload), their open events moved out
 *   first; finished events in the default partition past retention are deleted; audit entries,
 *   proofs and webhook messages (outbox and delivery log) older than it are deleted;
 * - every minute, the sweeper settles or re-enqueues open events whose job is gone, so no
 *   event strands in `pending`/`processing` (see sweepStranded), and relays webhook messages
 *   still pending without a job (see relayWebhookMessages).
 */
import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { type Lane } from '@mc/core';
import {
  DELIVER_JOB,
  MAINTENANCE_QUEUE,
  WEBHOOKS_QUEUE,
  eventJobId,
  isEventJob,
  shardOf,
  singleQueueName,
  type EventJob,
  type QueueTopology,
} from '@mc/contracts';
import { createLaneQueues, allLaneQueues, type RedisClient } from '@mc/redis';
import {
  PARTITION_DAYS_AHEAD,
  type AuditLogRepository,
  type EventLogPartitionsRepository,
  type EventsRepository,
  type ProofsRepository,
  type StaleEvent,
  type WebhooksRepository,
} from '@mc/db';
import type { Logger } from '@mc/observability';
import { endJob, failedJobReason } from './job-endings';
import { relayWebhookMessages } from './webhook-relay';

export const PURGE_EVERY_MS = 3_600_000;
export const PARTITIONS_EVERY_MS = 3_600_000;
export const SWEEP_EVERY_MS = 60_000;
/**
 * How long an open event must have been untouched before the sweeper looks at its job: longer
 * than a re-drive takes between its database transition and its enqueue, and than a worker
 * takes between `begin` and its settle.
 */
export const SWEEP_GRACE_MS = 120_000;
const SWEEP_BATCH = 500;
const DAY_MS = 86_400_000;

type SweeperEvents = Pick<EventsRepository, 'findStale' | 'settleJob'>;

export interface SweepResult {
  checked: number;
  requeued: number;
  settled: number;
}

/**
 * Finds open events whose job is gone and puts each right:
 * - job failed for good (its 'failed' handler did not get to settle it): settled from the
 *   job's data — `sent` when it recorded a send, else `deliveryFailed` with BullMQ's reason;
 * - job gone and the event `pending`: re-enqueued under its generation's job id (idempotent).
 *   `pending` means no send is in flight or unrecorded — every path that could send passes
 *   through `processing` — so a new job is as safe as the lost retry was. This also repairs a
 *   re-drive whose enqueue was lost (a crash between its transition and its add);
 * - job gone and the event `processing`: it may or may not have been sent and the job's data
 *   (the send-once record) is lost with it, so it ends `deliveryFailed` with that reason
 *   rather than risk a duplicate; an operator may re-drive it.
 */
export async function sweepStranded(options: {
  events: SweeperEvents;
  /** Every shard's queue of each lane: an event's job is in the shard its id picks. */
  queues: Readonly<Record<Lane, readonly Pick<Queue, 'getJob' | 'add'>[]>>;
  jobAttempts: number;
  logger: Logger;
  now?: () => number;
  graceMs?: number;
}): Promise<SweepResult> {
  const now = options.now ?? Date.now;
  const stale = await options.events.findStale(new Date(now() - (options.graceMs ?? SWEEP_GRACE_MS)), SWEEP_BATCH);
  const result: SweepResult = { checked: stale.length, requeued: 0, settled: 0 };
  for (const event of stale) {
    const jobId = eventJobId(event.id.toString(), event.generation);
    const shards = options.queues[event.lane];
    const queue = shards[shardOf(event.id, shards.length)]!;
    const job = (await queue.getJob(jobId)) as Job | undefined;
    const state = job ? await job.getState() : undefined;
    const log = options.logger.child({ eventId: event.id.toString(), jobId, status: event.status, state });
    if (job && state !== 'failed' && state !== 'completed' && state !== 'unknown') continue; // queued or running: its worker settles it
    if (job && state === 'failed' && isEventJob(job.data)) {
      const ended = await endJob(options.events, job.data, failedJobReason(job.failedReason ?? 'unknown reason'));
      if (ended) {
        result.settled++;
        log.warn({ ended }, 'sweeper: settled an event whose job had failed');
      }
      continue;
    }
    if (event.status === 'pending' && !job) {
      await queue.add(DELIVER_JOB, jobFromRow(event, now()), {
        jobId,
        attempts: options.jobAttempts,
        backoff: { type: 'jittered' },
      });
      result.requeued++;
      log.warn('sweeper: re-enqueued a pending event whose job was gone');
      continue;
    }
    const data = jobFromRow(event, now());
    const ended = await endJob(
      options.events,
      data,
      event.status === 'processing'
        ? 'Its job was lost while a worker held it; it may or may not have been sent — re-drive to try again'
        : 'Its job was lost',
    );
    if (ended) {
      result.settled++;
      log.warn({ ended }, 'sweeper: settled an event whose job was lost');
    }
  }
  return result;
}

/** A job rebuilt from the event's row (its payload is the event as accepted). */
function jobFromRow(event: StaleEvent, now: number): EventJob {
  return {
    v: 1,
    id: event.id.toString(),
    lane: event.lane,
    acceptedAt: event.createdAt.toISOString(),
    channel: event.channel ?? 'email',
    event: event.payload as EventJob['event'],
    ...(event.generation > 0 ? { generation: event.generation, redrivenAt: new Date(now).toISOString() } : {}),
  };
}

export async function startMaintenance(options: {
  connection: RedisClient;
  prefix: string;
  /** How the queues sit in Redis (QUEUE_SHARDS, cluster hash tags). @defaultValue standalone, one shard */
  topology?: QueueTopology;
  retentionDays: number;
  events: SweeperEvents;
  /** The event log's partitions: created ahead, and dropped by retention. */
  partitions: Pick<EventLogPartitionsRepository, 'ensureDays' | 'retainSince'>;
  /** Days after today whose partitions are kept ready. @defaultValue PARTITION_DAYS_AHEAD */
  partitionDaysAhead?: number;
  /** The audit log, purged with the events (same retention period). */
  audit?: Pick<AuditLogRepository, 'purgeBefore'>;
  /** Template proofs, purged with the events (same retention period). */
  proofs?: Pick<ProofsRepository, 'purgeBefore'>;
  /** BullMQ attempts of a re-enqueued event job. */
  jobAttempts: number;
  logger: Logger;
  now?: () => number;
  /** @defaultValue SWEEP_EVERY_MS */
  sweepEveryMs?: number;
  /** @defaultValue SWEEP_GRACE_MS */
  sweepGraceMs?: number;
  /** The webhook outbox: relayed by the sweeper, purged with the events. */
  webhooks?: Pick<WebhooksRepository, 'findPending' | 'purgeBefore'>;
  /** Retries of a relayed webhook job (WEBHOOK_RETRY_SCHEDULE's length). @defaultValue 0 */
  webhookRetries?: number;
  /** @defaultValue WEBHOOK_RELAY_GRACE_MS */
  webhookRelayGraceMs?: number;
}): Promise<{ close(): Promise<void> }> {
  const { connection, prefix } = options;
  const topology = options.topology ?? { hashTagged: false, shards: 1 };
  const maintenanceQueue = singleQueueName(MAINTENANCE_QUEUE, topology);
  const queue = new Queue(maintenanceQueue, { connection, prefix });
  if (options.retentionDays === 0) await queue.removeJobScheduler('purge-events');
  else await queue.upsertJobScheduler('purge-events', { every: PURGE_EVERY_MS }, { name: 'purge-events' });
  await queue.upsertJobScheduler('prepare-partitions', { every: PARTITIONS_EVERY_MS }, { name: 'prepare-partitions' });
  await queue.upsertJobScheduler('sweep-stranded', { every: options.sweepEveryMs ?? SWEEP_EVERY_MS }, { name: 'sweep-stranded' });

  // The sweeper looks in every shard, whatever WORKER_SHARDS this worker consumes.
  const lanes = createLaneQueues(connection, prefix, topology);
  const webhookQueue = options.webhooks ? new Queue(singleQueueName(WEBHOOKS_QUEUE, topology), { connection, prefix }) : undefined;
  const now = options.now ?? Date.now;
  const lockKey = `${prefix}:${maintenanceQueue}:sweep-lock`;

  const preparePartitions = async () => {
    // Days past retention are not recreated: the default partition holds their kept open events.
    const keepSince = options.retentionDays > 0 ? new Date(now() - options.retentionDays * DAY_MS) : undefined;
    const result = await options.partitions.ensureDays(new Date(now()), options.partitionDaysAhead ?? PARTITION_DAYS_AHEAD, keepSince);
    if (result.createdDays.length > 0) options.logger.info(result, 'event log: partitions created ahead');
    return result;
  };

  const purge = async () => {
    const cutoff = new Date(now() - options.retentionDays * DAY_MS);
    const events = await options.partitions.retainSince(cutoff);
    const auditDeleted = (await options.audit?.purgeBefore(cutoff)) ?? 0;
    const proofsDeleted = (await options.proofs?.purgeBefore(cutoff)) ?? 0;
    const webhookMessages = options.webhooks ? await options.webhooks.purgeBefore(cutoff) : 0;
    options.logger.info(
      { ...events, auditDeleted, proofsDeleted, webhookMessages, cutoff: cutoff.toISOString() },
      'retention: old days of the event log dropped (open events kept), audit entries, proofs and webhook messages purged',
    );
    return { ...events, auditDeleted, proofsDeleted, webhookMessages };
  };

  // One sweep at a time across replicas, even when one runs longer than its period.
  const sweep = async () => {
    const token = randomUUID();
    const locked = await connection.set(lockKey, token, 'PX', 5 * 60_000, 'NX');
    if (locked !== 'OK') return { skipped: true };
    try {
      const result = await sweepStranded({
        events: options.events,
        queues: lanes,
        jobAttempts: options.jobAttempts,
        logger: options.logger,
        now,
        ...(options.sweepGraceMs !== undefined ? { graceMs: options.sweepGraceMs } : {}),
      });
      if (result.requeued || result.settled) options.logger.info(result, 'sweeper: stranded events put right');
      const relayed =
        options.webhooks && webhookQueue
          ? await relayWebhookMessages({
              webhooks: options.webhooks,
              queue: webhookQueue,
              retries: options.webhookRetries ?? 0,
              logger: options.logger,
              now,
              ...(options.webhookRelayGraceMs !== undefined ? { graceMs: options.webhookRelayGraceMs } : {}),
            })
          : undefined;
      return { ...result, ...(relayed ? { webhooksRelayed: relayed.enqueued } : {}) };
    } finally {
      await connection.eval(
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0",
        1,
        lockKey,
        token,
      );
    }
  };

  const worker = new Worker(
    maintenanceQueue,
    async (job) => {
      if (job.name === 'purge-events') return options.retentionDays === 0 ? { droppedDays: [] } : purge();
      if (job.name === 'prepare-partitions') return preparePartitions();
      if (job.name === 'sweep-stranded') return sweep();
      return undefined;
    },
    {
      connection,
      prefix,
      concurrency: 1,
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 100 },
    },
  );
  worker.on('error', (error) => options.logger.error({ err: error }, 'maintenance worker error'));
  // A run that failed (a partition change that waited out its lock_timeout, a lost connection)
  // is retried by the next scheduled run; said here so that a run failing every time is seen.
  worker.on('failed', (job, error) =>
    options.logger.warn({ err: error, job: job?.name }, 'maintenance run failed; the next scheduled run tries again'),
  );
  return {
    async close() {
      await worker.close();
      await Promise.all([queue.close(), webhookQueue?.close(), ...allLaneQueues(lanes).map((q) => q.close())]);
    },
  };
}
