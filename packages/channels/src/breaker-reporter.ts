/**
 * Turns breaker events into one log line per change and two Prometheus series, so an outage
 * reads as "opened … probing … closed" rather than one line per held event.
 */
import type { BreakerEvent, BreakerListener } from './gated.provider';

/** The structural parts of a pino logger and of @mc/observability's worker metrics it uses. */
export interface BreakerReporterTargets {
  logger?: {
    warn(obj: object, msg: string): void;
    info(obj: object, msg: string): void;
  };
  metrics?: {
    breakerState: { set(labels: { breaker: string }, value: number): void };
    breakerChanges: { inc(labels: { breaker: string; change: string }): void };
  };
}

/** Gauge values of `mc_breaker_state`. */
export const BREAKER_STATE_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

const MESSAGES: Record<NonNullable<BreakerEvent['change']>, string> = {
  opened: 'circuit breaker opened: sends are held until a probe succeeds',
  reopened: 'circuit breaker probe failed: open again until the next probe',
  probing: 'circuit breaker half-open: probing with one send',
  closed: 'circuit breaker closed: sending again',
};

export function createBreakerReporter(targets: BreakerReporterTargets): BreakerListener {
  return (event) => {
    targets.metrics?.breakerState.set({ breaker: event.breaker }, BREAKER_STATE_VALUE[event.state]);
    if (!event.change) return;
    targets.metrics?.breakerChanges.inc({ breaker: event.breaker, change: event.change });
    const fields = { breaker: event.breaker, provider: event.provider, state: event.state, ...(event.error ? { error: event.error } : {}) };
    if (event.change === 'opened' || event.change === 'reopened') targets.logger?.warn(fields, MESSAGES[event.change]);
    else targets.logger?.info(fields, MESSAGES[event.change]);
  };
}
