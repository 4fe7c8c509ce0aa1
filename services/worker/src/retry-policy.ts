/**
 * When to try again, and when to stop. Time bounds the retries, not a handful of attempts: each
 * channel has a retry window (email a day, SMS and push an hour by default) measured from the
 * event's acceptance (or its scheduled time), so an outage costs delay, not messages. Within
 * the window: exponential backoff with half jitter, capped (RETRY_MAX_DELAY_MS), or exactly the
 * wait the provider asked for (Retry-After, a hold). The event's expiration (or its type's max
 * age) ends it `tooOld` when the next attempt would come after it.
 *
 * The worker schedules these retries itself (a delayed job, counters in the job's data), so
 * BullMQ's attempts are not spent by them; see delivery.processor.ts.
 */

export interface RetryLimits {
  /** No attempt is made later than this many ms after the window opened. */
  windowMs: number;
  /** An optional cap on send attempts within the window (DELIVERY_ATTEMPTS). */
  maxAttempts?: number;
}

/**
 * Why the job must wait:
 * - `transient`: the provider answered with a retryable failure (an attempt was spent);
 * - `held`: nothing was attempted — the provider or remote is on hold (rate limit, Retry-After,
 *   open circuit) and said for how long;
 * - `fault`: an unexpected error of ours (the database is down, a bug); no attempt was spent.
 */
export type RetryCause = 'transient' | 'held' | 'fault';

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; status: 'deliveryFailed' | 'tooOld'; reason: string };

/** Backoff for the n-th retry (1-based): base × 2^(n-1), capped, half of it random. */
export function backoffDelayMs(n: number, baseDelayMs: number, maxDelayMs: number, random = Math.random): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(Math.max(0, n - 1), 40));
  // Half fixed, half random: never a thundering herd, never a zero wait.
  return Math.ceil(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * BullMQ's custom backoff ('jittered', the type jobs are enqueued with), used only for errors
 * the worker could not defer itself.
 */
export function backoffStrategy(baseDelayMs: number, maxDelayMs: number) {
  return (attemptsMade: number): number => backoffDelayMs(attemptsMade, baseDelayMs, maxDelayMs);
}

/** `24 h`, `15 min`, `5 s`. */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.ceil(ms / 1000)} s`;
}

export function decideRetry(input: {
  cause: RetryCause;
  /** Send attempts made so far, this one included when it was one. */
  attempts: number;
  /** Unexpected errors so far, this one included (for `fault`). */
  faults?: number;
  limits: RetryLimits;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The provider's or the hold's wait; for `held` it is the whole answer. */
  retryAfterMs?: number;
  /** When the retry window opened (acceptance or scheduled time), ms since the epoch. */
  windowStart: number;
  /** When the event expires (its expiration or its type's max age), ms since the epoch. */
  expiresAt?: number;
  now: number;
  random?: () => number;
}): RetryDecision {
  const { limits, now } = input;
  const gaveUp = `Gave up after ${input.attempts} attempt(s)`;
  if (input.cause === 'transient' && limits.maxAttempts !== undefined && input.attempts >= limits.maxAttempts) {
    return { retry: false, status: 'deliveryFailed', reason: gaveUp };
  }
  const windowEnd = input.windowStart + limits.windowMs;
  const window = formatDuration(limits.windowMs);
  if (now >= windowEnd) {
    return { retry: false, status: 'deliveryFailed', reason: `${gaveUp}: the ${window} retry window has ended` };
  }

  const asked = input.retryAfterMs !== undefined && input.retryAfterMs > 0 ? Math.ceil(input.retryAfterMs) : undefined;
  let delayMs: number;
  if (asked !== undefined) {
    // Someone asked for this wait: trying earlier would only be refused again.
    if (now + asked > windowEnd) {
      return {
        retry: false,
        status: 'deliveryFailed',
        reason: `${gaveUp}: the next one (in ${formatDuration(asked)}) would fall after the ${window} retry window`,
      };
    }
    delayMs = asked;
  } else {
    const n = input.cause === 'fault' ? (input.faults ?? 1) : input.cause === 'held' ? 1 : Math.max(1, input.attempts);
    // Our own backoff: the last try lands on the window's end rather than being skipped.
    delayMs = Math.min(backoffDelayMs(n, input.baseDelayMs, input.maxDelayMs, input.random), windowEnd - now);
  }
  if (input.expiresAt !== undefined && now + delayMs >= input.expiresAt) {
    return {
      retry: false,
      status: 'tooOld',
      reason: `Expires at ${new Date(input.expiresAt).toISOString()}, before the next attempt (in ${formatDuration(delayMs)}) could be made`,
    };
  }
  return { retry: true, delayMs: Math.max(1, delayMs) };
}
