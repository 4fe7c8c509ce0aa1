import { backoffStrategy, decideRetry, retryDelayMs, RetryLaterError } from './retry-policy';

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

describe('decideRetry', () => {
  const base = { baseDelayMs: 1000, windowStart: 0, now: 10_000, random: () => 0 };

  it('retries until the job attempts are used up', () => {
    expect(decideRetry({ ...base, attempt: 1, jobAttempts: 3 })).toEqual({ retry: true, delayMs: 500, attemptsAllowed: 3 });
    expect(decideRetry({ ...base, attempt: 2, jobAttempts: 3 })).toEqual({ retry: true, delayMs: 1000, attemptsAllowed: 3 });
    expect(decideRetry({ ...base, attempt: 3, jobAttempts: 3 })).toEqual({ retry: false, reason: 'Gave up after 3 attempt(s)', attemptsAllowed: 3 });
  });

  it("takes the channel's attempts when fewer than the job's, never more", () => {
    expect(decideRetry({ ...base, attempt: 2, jobAttempts: 5, limits: { attempts: 2 } })).toMatchObject({ retry: false, attemptsAllowed: 2 });
    expect(decideRetry({ ...base, attempt: 3, jobAttempts: 3, limits: { attempts: 9 } })).toMatchObject({ retry: false, attemptsAllowed: 3 });
  });

  it('gives up when the next attempt would fall after the retry window', () => {
    const limits = { windowMs: 60_000 };
    // 10 s in, a 500 ms backoff: well inside the window.
    expect(decideRetry({ ...base, attempt: 1, jobAttempts: 5, limits })).toMatchObject({ retry: true, delayMs: 500 });
    // Retry-After of 55 s would land at 65 s: after the 60 s window.
    expect(decideRetry({ ...base, attempt: 1, jobAttempts: 5, limits, retryAfterMs: 55_000 })).toEqual({
      retry: false,
      reason: 'Gave up after 1 attempt(s): the next one (in 55 s) would fall after the 60 s retry window',
      attemptsAllowed: 5,
    });
    expect(decideRetry({ ...base, attempt: 1, jobAttempts: 5, limits, retryAfterMs: 50_000 })).toMatchObject({ retry: true, delayMs: 50_000 });
  });
});
