/** Maps event rows, and jobs not yet seen by a worker, to the API's EventView. */
import type { Job } from 'bullmq';
import type { EventRecord } from '@mc/db';
import type { EventJob, EventView } from '@mc/contracts';

export function eventView(event: EventRecord): EventView {
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
    deliveries: event.deliveries.map((d) => ({
      channel: d.channel,
      provider: d.provider,
      status: d.status,
      attempts: d.attempts,
      ...(d.providerMessageId ? { providerMessageId: d.providerMessageId } : {}),
      ...(d.error ? { error: d.error } : {}),
      ...(d.sentAt ? { sentAt: d.sentAt.toISOString() } : {}),
    })),
  };
}

/** An event still waiting in its queue (or scheduled) has no row yet: it is pending. */
export function queuedEventView(job: Job<EventJob>): EventView {
  const data = job.data;
  const waitingUntil = job.delay > 0 ? new Date(job.timestamp + job.delay).toISOString() : undefined;
  return {
    id: data.id,
    type: data.event.type,
    status: 'pending',
    lane: data.lane,
    channel: data.channel,
    externalId: data.event.externalId ?? null,
    origin: data.event.origin ?? null,
    createdAt: data.acceptedAt,
    updatedAt: new Date(job.processedOn ?? job.timestamp).toISOString(),
    ...(data.event.scheduled ? { scheduled: data.event.scheduled } : {}),
    ...(waitingUntil && !data.event.scheduled ? { nextAttemptAt: waitingUntil } : {}),
    deliveries: [],
  };
}
