/**
 * The outbox relay: webhook messages still pending with no job to deliver them (the worker
 * crashed between its settle and its enqueue, Redis was down then, or a message was written by
 * another process) are enqueued under their own job id, so a repeat adds nothing. Run by the
 * maintenance sweeper after a grace period, so it never races the enqueue right after a settle.
 */
import type { Job, Queue } from 'bullmq';
import { webhookJob, webhookJobId } from '@mc/contracts';
import type { WebhooksRepository } from '@mc/db';
import type { Logger } from '@mc/observability';

/** How long a pending message may sit without a job before the relay enqueues it. */
export const WEBHOOK_RELAY_GRACE_MS = 60_000;
const RELAY_BATCH = 1000;

export async function relayWebhookMessages(options: {
  webhooks: Pick<WebhooksRepository, 'findPending'>;
  queue: Pick<Queue, 'getJob' | 'add'>;
  retries: number;
  logger: Logger;
  now?: () => number;
  graceMs?: number;
}): Promise<{ checked: number; enqueued: number }> {
  const now = options.now ?? Date.now;
  const pending = await options.webhooks.findPending(new Date(now() - (options.graceMs ?? WEBHOOK_RELAY_GRACE_MS)), RELAY_BATCH);
  let enqueued = 0;
  for (const message of pending) {
    const jobId = webhookJobId(message.id, message.replays);
    const job = (await options.queue.getJob(jobId)) as Job | undefined;
    const state = job ? await job.getState() : undefined;
    if (job && state !== 'failed' && state !== 'completed' && state !== 'unknown') continue; // waiting, delayed or running
    // A finished job with its message still pending lost its record (a fault after the send
    // path gave up): a new job under the same id needs the old one out of the way.
    if (job) await job.remove().catch(() => undefined);
    const { name, data, opts } = webhookJob(message.id, message.replays, options.retries);
    await options.queue.add(name, data, opts);
    enqueued++;
    options.logger.warn({ webhookMessage: message.id.toString(), jobId, state }, 'relay: enqueued a webhook message that had no job');
  }
  return { checked: pending.length, enqueued };
}
