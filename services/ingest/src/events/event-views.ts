/** Maps event rows, and jobs not yet seen by a worker, to the API's EventView. */
import type { Job, Queue } from 'bullmq';
import type { RedisClient } from '@mc/redis';
import type { EventRecord } from '@mc/db';
import type { EventJob, EventView, QueueStateView } from '@mc/contracts';

export function eventView(event: EventRecord, queue?: QueueStateView): EventView {
  return {
    id: event.id.toString(),
    type: event.type,
    status: event.status,
    lane: event.lane,
    channel: event.channel,
    externalId: event.externalId,
    origin: event.origin,
    createdAt: event.createdAt.toISOString(),
    updatedAt: event.updatedAt.toISOString(),
    ...(event.reason ? { reason: event.reason } : {}),
    ...(event.templateVersion !== null ? { templateVersion: event.templateVersion } : {}),
    ...(event.nextAttemptAt ? { nextAttemptAt: event.nextAttemptAt.toISOString() } : {}),
    ...(event.scheduledAt ? { scheduled: event.scheduledAt.toISOString() } : {}),
    ...(queue ? { queue } : {}),
    payload: event.payload,
    deliveries: event.deliveries.map((d) => ({
      channel: d.channel,
      provider: d.provider,
      status: d.status,
      attempts: d.attempts,
      ...(d.providerMessageId ? { providerMessageId: d.providerMessageId } : {}),
      ...(d.error ? { error: d.error } : {}),
      ...(d.sentAt ? { sentAt: d.sentAt.toISOString() } : {}),
      attemptLog: d.attemptLog.map((a) => ({ at: a.at, provider: a.provider, outcome: a.outcome, ...(a.error ? { error: a.error } : {}) })),
    })),
  };
}

/**
 * An event no worker has taken yet has no row: it lives in its job. Its status is `pending`
 * while the job waits or runs; a job that failed for good before any worker could record the
 * event (its type deleted, an unreadable payload) shows `deliveryFailed` with BullMQ's reason,
 * never a `pending` that will not move.
 */
export function queuedEventView(job: Job<EventJob>, queue: QueueStateView): EventView {
  const data = job.data;
  const failed = queue.state === 'failed';
  return {
    id: data.id,
    type: data.event.type,
    status: failed ? 'deliveryFailed' : 'pending',
    lane: data.lane,
    channel: data.channel,
    externalId: data.event.externalId ?? null,
    origin: data.event.origin ?? null,
    createdAt: data.acceptedAt,
    updatedAt: new Date(job.finishedOn ?? job.processedOn ?? job.timestamp).toISOString(),
    ...(failed ? { reason: `Its job failed: ${queue.failedReason ?? 'unknown reason'}` } : {}),
    ...(data.event.scheduled ? { scheduled: data.event.scheduled } : {}),
    ...(queue.nextAttemptAt && !data.event.scheduled ? { nextAttemptAt: queue.nextAttemptAt } : {}),
    queue,
    payload: data.event as Record<string, unknown>,
    deliveries: [],
  };
}

const KNOWN_STATES: ReadonlySet<string> = new Set(['waiting', 'delayed', 'active', 'failed', 'completed', 'prioritized', 'waiting-children']);

/**
 * Where a job really is: BullMQ's state, when a delayed job runs next (read from the delayed
 * set, whose score holds the due time; `job.delay` is relative to when it was last delayed),
 * and why a failed job failed. `missing` when there is no job.
 */
export async function queueState(redis: RedisClient, queue: Queue, job: Job | undefined): Promise<QueueStateView> {
  if (!job) return { state: 'missing' };
  const state = await job.getState();
  if (!KNOWN_STATES.has(state)) return { state: 'missing' };
  const view: QueueStateView = { state: state as QueueStateView['state'] };
  if (state === 'delayed') {
    const score = await redis.zscore(queue.keys.delayed!, job.id!);
    // BullMQ scores a delayed job (due time in ms) × 0x1000 + a tie-breaker.
    if (score !== null) view.nextAttemptAt = new Date(Math.floor(Number(score) / 0x1000)).toISOString();
  }
  if (state === 'failed') {
    // The job may have been read while still active: read its reason now that it failed.
    const reason = job.failedReason || (await queue.getJob(job.id!))?.failedReason;
    if (reason) view.failedReason = reason;
  }
  return view;
}
