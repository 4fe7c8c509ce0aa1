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
