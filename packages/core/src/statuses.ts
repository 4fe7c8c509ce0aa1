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
] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** Statuses that end an event's life (until an operator re-drives it). */
export const TERMINAL_STATUSES: ReadonlySet<EventStatus> = new Set([
  'sent',
  'ignored',
  'routingFailed',
  'targetingFailed',
  'deliveryFailed',
  'tooOld',
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
