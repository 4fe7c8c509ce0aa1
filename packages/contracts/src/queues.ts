/**
 * Queue names and the job payload shared by the ingest service (producer) and the worker
 * (consumer). Jobs outlive deploys, so the payload carries a version.
 */
import type { Channel, Lane } from '@mc/core';
import type { EventInput } from './event-input';

export const QUEUE_NAMES: Readonly<Record<Lane, string>> = {
  realtime: 'events-realtime',
  batch: 'events-batch',
};

/** Housekeeping jobs (retention), run by the workers on a schedule. */
export const MAINTENANCE_QUEUE = 'maintenance';

/** The name every event job carries (BullMQ job name), so the dashboard reads well. */
export const DELIVER_JOB = 'deliver';

export const EVENT_JOB_VERSION = 1;

/**
 * The BullMQ job id of an event: `ev-<event id>`. BullMQ refuses custom ids that read as
 * integers, so the event id alone cannot be the job id.
 */
export function eventJobId(eventId: string, redrive?: number): string {
  return redrive === undefined ? `ev-${eventId}` : `ev-${eventId}-redrive-${redrive}`;
}

export interface EventJobV1 {
  v: 1;
  /** The event id (decimal string of the 64-bit id); the job id is eventJobId(id). */
  id: string;
  lane: Lane;
  /** When ingest accepted it (ISO 8601). */
  acceptedAt: string;
  /** The channel resolved from wishedChannel (default email). */
  channel: Channel;
  event: Omit<EventInput, 'wishedChannel'>;
}
export type EventJob = EventJobV1;

/** Redis pub/sub channel on which a publish/unpublish/pause tells every worker to reload. */
export const TEMPLATE_CHANGES_CHANNEL = 'template-changes';

export function isEventJob(data: unknown): data is EventJob {
  if (typeof data !== 'object' || data === null) return false;
  const job = data as Partial<EventJobV1>;
  return (
    job.v === 1 &&
    typeof job.id === 'string' &&
    (job.lane === 'realtime' || job.lane === 'batch') &&
    typeof job.acceptedAt === 'string' &&
    typeof job.channel === 'string' &&
    typeof job.event === 'object' &&
    job.event !== null &&
    typeof job.event.type === 'string'
  );
}
