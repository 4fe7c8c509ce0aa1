import { backoffStrategy, retryDelayMs, RetryLaterError } from './retry-policy';

describe('retry policy', () => {
  it('doubles the ceiling per attempt and stays within [ceiling/2, ceiling]', () => {
    for (const attempt of [1, 2, 3, 4]) {
      const ceiling = 1000 * 2 ** (attempt - 1);
      expect(retryDelayMs(attempt, 1000, undefined, () => 0)).toBe(ceiling / 2);
      expect(retryDelayMs(attempt, 1000, undefined, () => 0.999999)).toBeLessThanOrEqual(ceiling);
    }
  });

  it('honours Retry-After over the backoff', () => {
    expect(retryDelayMs(1, 1000, 30_000)).toBe(30_000);
  });

  it('hands BullMQ the delay the processor chose', () => {
    const strategy = backoffStrategy(1000);
    expect(strategy(3, 'jittered', new RetryLaterError('busy', 4242))).toBe(4242);
    expect(strategy(1, 'jittered', new Error('x'))).toBeGreaterThanOrEqual(500);
  });
});
