/**
 * When to try again: exponential backoff with full jitter, or the provider's Retry-After when
 * it gave one. The processor computes the delay (so it can record the next attempt time) and
 * hands it to BullMQ through the error it throws.
 */

/** Thrown to make BullMQ retry after exactly `delayMs`. */
export class RetryLaterError extends Error {
  constructor(message: string, readonly delayMs: number) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

export function retryDelayMs(attemptsMade: number, baseDelayMs: number, retryAfterMs?: number, random = Math.random): number {
  if (retryAfterMs !== undefined && retryAfterMs > 0) return Math.ceil(retryAfterMs);
  const ceiling = baseDelayMs * 2 ** Math.max(0, attemptsMade - 1);
  // Half fixed, half random: never a thundering herd, never a zero wait.
  return Math.ceil(ceiling / 2 + random() * (ceiling / 2));
}

/** BullMQ's custom backoff: the delay the processor chose, else the same formula. */
export function backoffStrategy(baseDelayMs: number) {
  return (attemptsMade: number, _type?: string, error?: Error): number =>
    error instanceof RetryLaterError ? error.delayMs : retryDelayMs(attemptsMade, baseDelayMs);
}

export interface RetryLimits {
  /** Attempts this channel allows (capped by the job's own attempts). */
  attempts?: number;
  /** No retry is scheduled later than this many ms after `windowStart`. */
  windowMs?: number;
}

export type RetryDecision =
  | { retry: true; delayMs: number; attemptsAllowed: number }
  | { retry: false; reason: string; attemptsAllowed: number };

/**
 * Whether a transient or rate-limited failure of attempt `attempt` (1-based) is retried, and
 * when: not once the channel's (or the job's) attempts are used up, nor when the next attempt
 * would fall after the channel's retry window.
 */
export function decideRetry(input: {
  attempt: number;
  jobAttempts: number;
  limits?: RetryLimits;
  baseDelayMs: number;
  retryAfterMs?: number;
  /** When the retry window opened (the event's acceptance or scheduled time), ms since the epoch. */
  windowStart: number;
  now: number;
  random?: () => number;
}): RetryDecision {
  const attemptsAllowed = Math.min(input.jobAttempts, input.limits?.attempts ?? input.jobAttempts);
  if (input.attempt >= attemptsAllowed) {
    return { retry: false, reason: `Gave up after ${attemptsAllowed} attempt(s)`, attemptsAllowed };
  }
  const delayMs = retryDelayMs(input.attempt, input.baseDelayMs, input.retryAfterMs, input.random);
  const windowMs = input.limits?.windowMs;
  if (windowMs !== undefined && input.now + delayMs > input.windowStart + windowMs) {
    return {
      retry: false,
      reason: `Gave up after ${input.attempt} attempt(s): the next one (in ${Math.ceil(delayMs / 1000)} s) would fall after the ${Math.round(windowMs / 1000)} s retry window`,
      attemptsAllowed,
    };
  }
  return { retry: true, delayMs, attemptsAllowed };
}
