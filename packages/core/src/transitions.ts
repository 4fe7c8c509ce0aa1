/**
 * The event state machine: every status change an event may make, in one table. The database
 * applies each as one conditional statement (`UPDATE … WHERE status IN (from) RETURNING`), so
 * two writers racing for the same event cannot both win, and a terminal status is never
 * overwritten by a late or duplicate job.
 *
 * A terminal status is left in two ways only: a re-drive by an operator (which also starts a
 * new generation of the event, see `redrive`), and later feedback about a sent message, which
 * only ever moves forward (`sent` → `bounced` → `complained`).
 */
import { RETRYABLE_STATUSES, type EventStatus } from './statuses';

export const TRANSITION_NAMES = [
  'take',
  'park',
  'send',
  'ignore',
  'failRouting',
  'failTargeting',
  'failDelivery',
  'expire',
  'redrive',
  'bounce',
  'complain',
] as const;
export type TransitionName = (typeof TRANSITION_NAMES)[number];

export interface Transition {
  readonly from: readonly EventStatus[];
  readonly to: EventStatus;
  /** What the transition means, for people reading the table. */
  readonly why: string;
}

/** Where a worker may act: the event's job runs (processing) or waits in a queue (pending). */
const OPEN: readonly EventStatus[] = ['pending', 'processing'];

export const TRANSITIONS: Readonly<Record<TransitionName, Transition>> = {
  take: { from: OPEN, to: 'processing', why: 'a worker takes the job (again, after a retry or a crash)' },
  park: { from: OPEN, to: 'pending', why: 'waits as a delayed job: retry, hold, paused template, schedule' },
  send: { from: OPEN, to: 'sent', why: 'the provider accepted the message' },
  ignore: { from: OPEN, to: 'ignored', why: 'not sent on purpose (address suppressed)' },
  failRouting: { from: OPEN, to: 'routingFailed', why: 'no published template covers the event' },
  failTargeting: { from: OPEN, to: 'targetingFailed', why: "the channel's address is missing or invalid" },
  failDelivery: { from: OPEN, to: 'deliveryFailed', why: 'refused for good, a template fault, or out of retries' },
  expire: { from: OPEN, to: 'tooOld', why: 'its expiration or the type’s max age passed first' },
  redrive: { from: [...RETRYABLE_STATUSES], to: 'pending', why: 'an operator re-drives it (a new generation)' },
  bounce: { from: ['sent'], to: 'bounced', why: 'a later bounce report about the sent message' },
  complain: { from: ['sent', 'bounced'], to: 'complained', why: 'a later complaint about the sent message' },
};

/** The transition a worker uses to settle an event in `status`. */
const SETTLE_BY_STATUS: Partial<Record<EventStatus, TransitionName>> = {
  processing: 'take',
  pending: 'park',
  sent: 'send',
  ignored: 'ignore',
  routingFailed: 'failRouting',
  targetingFailed: 'failTargeting',
  deliveryFailed: 'failDelivery',
  tooOld: 'expire',
};

/**
 * The worker's transition into `status` (take, park or an ending); undefined for statuses
 * only an operator or feedback reaches.
 */
export function settleTransition(status: EventStatus): Transition | undefined {
  const name = SETTLE_BY_STATUS[status];
  return name === undefined ? undefined : TRANSITIONS[name];
}

/** Whether any transition in the table moves an event from `from` to `to`. */
export function canTransition(from: EventStatus, to: EventStatus): boolean {
  return TRANSITION_NAMES.some((name) => TRANSITIONS[name].to === to && TRANSITIONS[name].from.includes(from));
}

/** The feedback transition into `bounced` or `complained`. */
export function feedbackTransition(status: 'bounced' | 'complained'): Transition {
  return status === 'bounced' ? TRANSITIONS.bounce : TRANSITIONS.complain;
}

