/**
 * How a job that ends outside the normal path settles its event: failed for good (BullMQ's
 * 'failed' event — stalled too often, unrecoverable, out of attempts), out of its retry window
 * after unexpected errors, or found failed or lost by the sweeper. The job's data decides: a
 * send recorded there ends the event `sent` (with the delivery row it needs), anything else
 * ends it `deliveryFailed` with the reason. Only an open event of the job's generation
 * changes (see the transitions in @mc/core).
 */
import type { Job } from 'bullmq';
import { parseEventId, type Channel, type EventStatus } from '@mc/core';
import { isEventJob, type EventJob, type JobSentRecord } from '@mc/contracts';
import type { AttemptRecord, EventsRepository } from '@mc/db';
import type { Logger } from '@mc/observability';

/** The delivery-row record of a send the job's data holds. */
export function sentAttempt(channel: Channel, sent: JobSentRecord): AttemptRecord {
  return {
    channel,
    provider: sent.provider,
    deliveryStatus: 'sent',
    providerMessageId: sent.providerMessageId,
    entry: { at: sent.at, provider: sent.provider, outcome: 'sent' },
  };
}

/**
 * Settles the event of a job that will not run again. Returns the status written, or
 * undefined when the event had already moved on (or its row cannot be written).
 */
export async function endJob(
  events: Pick<EventsRepository, 'settleJob'>,
  data: EventJob,
  reason: string,
): Promise<EventStatus | undefined> {
  const id = parseEventId(data.id);
  if (id === undefined) return undefined;
  const status: EventStatus = data.sent ? 'sent' : 'deliveryFailed';
  const applied = await events.settleJob({
    id,
    generation: data.generation ?? 0,
    type: data.event.type,
    lane: data.lane,
    channel: data.channel,
    payload: data.event as Record<string, unknown>,
    createdAt: new Date(data.acceptedAt),
    status,
    reason: data.sent ? null : reason,
    ...(data.sent ? { attempt: sentAttempt(data.channel, data.sent) } : {}),
  });
  return applied ? status : undefined;
}

/** BullMQ's failure reasons, said so an operator can act on them. */
export function failedJobReason(message: string): string {
  if (message === 'job stalled more than allowable limit') {
    return 'Its worker stopped while holding it more than once (BullMQ: job stalled more than allowable limit); it may or may not have been sent — re-drive to try again';
  }
  return `Its job failed for good: ${message}`;
}

/**
 * The workers' 'failed' listener: a job that failed for good (stalled too often,
 * unrecoverable, out of BullMQ attempts) settles its event — `sent` when its data recorded a
 * send, else deliveryFailed with the reason. A failure BullMQ will retry changes nothing.
 * Should the write fail too, the sweeper finds the failed job later.
 */
export function onJobFailed(deps: { events: Pick<EventsRepository, 'settleJob'>; logger: Logger }) {
  return async (job: Job | undefined, error: Error): Promise<EventStatus | undefined> => {
    if (!job) return undefined;
    const final =
      (typeof job.finishedOn === 'number' && job.finishedOn > 0) ||
      error.name === 'UnrecoverableError' ||
      job.attemptsMade >= (job.opts.attempts ?? 1);
    deps.logger.error({ jobId: job.id, err: error, final }, 'job failed');
    if (!final || !isEventJob(job.data)) return undefined;
    try {
      const status = await endJob(deps.events, job.data, failedJobReason(error.message));
      if (status) deps.logger.warn({ jobId: job.id, status }, 'event of a failed job settled');
      return status;
    } catch (recordError) {
      deps.logger.error({ jobId: job.id, err: recordError }, 'could not settle the event of a failed job; the sweeper will');
      return undefined;
    }
  };
}
