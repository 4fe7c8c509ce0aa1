/** Event statuses, named after Adobe Message Center's so its users recognise them. */
export const EVENT_STATUSES = [
  'pending',
  'processing',
  'sent',
  'ignored',
  'routingFailed',
  'targetingFailed',
  'deliveryFailed',
  'tooOld',
  'bounced',
  'complained',
] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** Statuses a worker may still act on (the event's job is, or should be, in a queue). */
export const OPEN_STATUSES: ReadonlySet<EventStatus> = new Set(['pending', 'processing']);

/**
 * Statuses that end an event's life. Only a re-drive (from RETRYABLE_STATUSES) or later
 * feedback about a sent message (`sent` → `bounced` → `complained`) leaves one; see
 * transitions.ts.
 */
export const TERMINAL_STATUSES: ReadonlySet<EventStatus> = new Set([
  'sent',
  'ignored',
  'routingFailed',
  'targetingFailed',
  'deliveryFailed',
  'tooOld',
  'bounced',
  'complained',
]);

/** Statuses from which `POST /v1/events/:id/retry` may re-drive an event. */
export const RETRYABLE_STATUSES: ReadonlySet<EventStatus> = new Set([
  'routingFailed',
  'targetingFailed',
  'deliveryFailed',
]);

export function isEventStatus(value: unknown): value is EventStatus {
  return typeof value === 'string' && (EVENT_STATUSES as readonly string[]).includes(value);
}

/** The two lanes, as in Adobe: a bulk import never waits in front of a password reset. */
export const LANES = ['realtime', 'batch'] as const;
export type Lane = (typeof LANES)[number];
