import { EVENT_STATUSES, RETRYABLE_STATUSES, TERMINAL_STATUSES, type EventStatus } from './statuses';
import { TRANSITIONS, TRANSITION_NAMES, canTransition, feedbackTransition, settleTransition } from './transitions';

/**
 * The whole table, written out as the pairs it must allow: every (from, to) not listed here
 * must be refused. A change to the state machine changes this list on purpose.
 */
const ALLOWED: ReadonlyArray<[EventStatus, EventStatus]> = [
  // A worker takes, parks and ends an open event.
  ...(['pending', 'processing'] as const).flatMap((from) =>
    (['processing', 'pending', 'sent', 'ignored', 'routingFailed', 'targetingFailed', 'deliveryFailed', 'tooOld'] as const).map(
      (to) => [from, to] as [EventStatus, EventStatus],
    ),
  ),
  // An operator re-drives a failure.
  ['routingFailed', 'pending'],
  ['targetingFailed', 'pending'],
  ['deliveryFailed', 'pending'],
  // Feedback about a sent message, forward only.
  ['sent', 'bounced'],
  ['sent', 'complained'],
  ['bounced', 'complained'],
];

const key = ([from, to]: [EventStatus, EventStatus]) => `${from} → ${to}`;
const allowed = new Set(ALLOWED.map(key));
const everyPair = EVENT_STATUSES.flatMap((from) => EVENT_STATUSES.map((to) => [from, to] as [EventStatus, EventStatus]));

describe('the event state machine', () => {
  it.each(everyPair.map((pair) => [key(pair), pair] as const))('%s', (_name, [from, to]) => {
    expect(canTransition(from, to)).toBe(allowed.has(key([from, to])));
  });

  it('never overwrites a terminal status except by re-drive or forward feedback', () => {
    for (const from of TERMINAL_STATUSES) {
      for (const to of EVENT_STATUSES) {
        if (!canTransition(from, to)) continue;
        const byRedrive = RETRYABLE_STATUSES.has(from) && to === 'pending';
        const byFeedback = (from === 'sent' && (to === 'bounced' || to === 'complained')) || (from === 'bounced' && to === 'complained');
        expect({ from, to, ok: byRedrive || byFeedback }).toEqual({ from, to, ok: true });
      }
    }
  });

  it('feedback never moves backwards: complained is final, bounced never returns to sent', () => {
    expect(EVENT_STATUSES.filter((to) => canTransition('complained', to))).toEqual([]);
    expect(canTransition('bounced', 'sent')).toBe(false);
    expect(canTransition('complained', 'bounced')).toBe(false);
    expect(feedbackTransition('bounced')).toBe(TRANSITIONS.bounce);
    expect(feedbackTransition('complained').from).toEqual(['sent', 'bounced']);
  });

  it('re-drive leaves exactly the retryable statuses, to pending', () => {
    expect(new Set(TRANSITIONS.redrive.from)).toEqual(RETRYABLE_STATUSES);
    expect(TRANSITIONS.redrive.to).toBe('pending');
    expect(canTransition('sent', 'pending')).toBe(false);
    expect(canTransition('tooOld', 'pending')).toBe(false);
    expect(canTransition('ignored', 'pending')).toBe(false);
  });

  it('a worker settles only open events, and has a transition for every status it writes', () => {
    for (const status of ['pending', 'processing', 'sent', 'ignored', 'routingFailed', 'targetingFailed', 'deliveryFailed', 'tooOld'] as const) {
      const transition = settleTransition(status)!;
      expect(transition.to).toBe(status);
      expect(transition.from).toEqual(['pending', 'processing']);
    }
    expect(settleTransition('bounced')).toBeUndefined();
    expect(settleTransition('complained')).toBeUndefined();
  });

  it('every transition names a reason and only documented statuses', () => {
    for (const name of TRANSITION_NAMES) {
      const t = TRANSITIONS[name];
      expect(t.why.length).toBeGreaterThan(0);
      expect(EVENT_STATUSES).toContain(t.to);
      for (const from of t.from) expect(EVENT_STATUSES).toContain(from);
    }
  });
});
