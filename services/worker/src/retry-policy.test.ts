import { backoffDelayMs, backoffStrategy, decideRetry, formatDuration } from './retry-policy';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const base = { baseDelayMs: 2000, maxDelayMs: 900_000, now: NOW, random: () => 0 };

describe('backoff', () => {
  it('doubles per retry, half of it random, within [ceiling/2, ceiling]', () => {
    for (const n of [1, 2, 3, 4]) {
      const ceiling = 1000 * 2 ** (n - 1);
      expect(backoffDelayMs(n, 1000, 1e9, () => 0)).toBe(ceiling / 2);
      expect(backoffDelayMs(n, 1000, 1e9, () => 0.999999)).toBeLessThanOrEqual(ceiling);
    }
  });

  it('is capped by RETRY_MAX_DELAY_MS, however many retries', () => {
    expect(backoffDelayMs(30, 2000, 900_000, () => 0.999999)).toBeLessThanOrEqual(900_000);
    expect(backoffDelayMs(1000, 2000, 900_000, () => 0)).toBe(450_000);
  });

  it("serves as BullMQ's backoff for errors the worker could not defer", () => {
    expect(backoffStrategy(1000, 60_000)(3)).toBeGreaterThanOrEqual(2000);
    expect(backoffStrategy(1000, 60_000)(3)).toBeLessThanOrEqual(4000);
  });

  it('formats durations for reasons', () => {
    expect([formatDuration(DAY), formatDuration(15 * 60_000), formatDuration(5000), formatDuration(1500)]).toEqual(['24 h', '15 min', '5 s', '2 s']);
  });
});

describe('decideRetry', () => {
  const email = { windowMs: DAY };

  it('retries a transient failure with backoff inside the window', () => {
    expect(decideRetry({ ...base, cause: 'transient', attempts: 1, limits: email, windowStart: NOW - 1000 })).toEqual({ retry: true, delayMs: 1000 });
    expect(decideRetry({ ...base, cause: 'transient', attempts: 3, limits: email, windowStart: NOW - 1000 })).toEqual({ retry: true, delayMs: 4000 });
  });

  it('has no attempt cap by default: the 200th attempt is retried while the window lasts', () => {
    const decision = decideRetry({ ...base, cause: 'transient', attempts: 200, limits: email, windowStart: NOW - HOUR });
    expect(decision).toEqual({ retry: true, delayMs: 450_000 });
  });

  it('rides out a 90 s relay outage in a few attempts, never giving up', () => {
    // The problem this fixes: five attempts in ~30 s, then deliveryFailed. Now the window rules.
    let at = NOW;
    let attempts = 0;
    while (at < NOW + 90_000) {
      attempts++;
      const decision = decideRetry({ ...base, cause: 'transient', attempts, limits: email, windowStart: NOW, now: at });
      expect(decision.retry).toBe(true);
      if (decision.retry) at += decision.delayMs;
    }
    expect(attempts).toBeLessThanOrEqual(7);
  });

  it('stops at DELIVERY_ATTEMPTS when a cap is set', () => {
    const limits = { windowMs: DAY, maxAttempts: 3 };
    expect(decideRetry({ ...base, cause: 'transient', attempts: 2, limits, windowStart: NOW }).retry).toBe(true);
    expect(decideRetry({ ...base, cause: 'transient', attempts: 3, limits, windowStart: NOW })).toEqual({
      retry: false,
      status: 'deliveryFailed',
      reason: 'Gave up after 3 attempt(s)',
    });
  });

  it('the cap counts sends only: holds and faults never use it up', () => {
    const limits = { windowMs: DAY, maxAttempts: 1 };
    expect(decideRetry({ ...base, cause: 'held', attempts: 1, retryAfterMs: 5000, limits, windowStart: NOW })).toEqual({ retry: true, delayMs: 5000 });
    expect(decideRetry({ ...base, cause: 'fault', attempts: 1, faults: 1, limits, windowStart: NOW })).toEqual({ retry: true, delayMs: 1000 });
  });

  it('honours Retry-After exactly, even beyond the backoff cap', () => {
    const decision = decideRetry({ ...base, cause: 'transient', attempts: 1, retryAfterMs: HOUR, limits: email, windowStart: NOW });
    expect(decision).toEqual({ retry: true, delayMs: HOUR });
  });

  it('a hold waits what it was told and spends no attempt', () => {
    expect(decideRetry({ ...base, cause: 'held', attempts: 0, retryAfterMs: 1234.2, limits: email, windowStart: NOW })).toEqual({
      retry: true,
      delayMs: 1235,
    });
  });

  it('gives up when an asked-for wait would end after the window', () => {
    const push = { windowMs: 5000 };
    expect(decideRetry({ ...base, cause: 'transient', attempts: 1, retryAfterMs: 30_000, limits: push, windowStart: NOW })).toEqual({
      retry: false,
      status: 'deliveryFailed',
      reason: 'Gave up after 1 attempt(s): the next one (in 30 s) would fall after the 5 s retry window',
    });
    expect(decideRetry({ ...base, cause: 'held', attempts: 0, retryAfterMs: 30_000, limits: push, windowStart: NOW }).retry).toBe(false);
  });

  it('lands its own last backoff on the window end instead of skipping it', () => {
    const sms = { windowMs: HOUR };
    const decision = decideRetry({ ...base, cause: 'transient', attempts: 30, limits: sms, windowStart: NOW - HOUR + 60_000 });
    expect(decision).toEqual({ retry: true, delayMs: 60_000 });
  });

  it('ends deliveryFailed once the window has ended', () => {
    const sms = { windowMs: HOUR };
    expect(decideRetry({ ...base, cause: 'transient', attempts: 12, limits: sms, windowStart: NOW - HOUR })).toEqual({
      retry: false,
      status: 'deliveryFailed',
      reason: 'Gave up after 12 attempt(s): the 1 h retry window has ended',
    });
    // An open breaker for longer than the window ends it too.
    expect(decideRetry({ ...base, cause: 'held', attempts: 0, retryAfterMs: 1000, limits: sms, windowStart: NOW - HOUR - 1 }).retry).toBe(false);
  });

  it('backs off a fault (database down) by its own count, bounded by the window', () => {
    expect(decideRetry({ ...base, cause: 'fault', attempts: 0, faults: 4, limits: email, windowStart: NOW })).toEqual({ retry: true, delayMs: 8000 });
    // Postgres down for 20 s: a handful of faults, each retried.
    let at = NOW;
    for (let faults = 1; at < NOW + 20_000; faults++) {
      const decision = decideRetry({ ...base, cause: 'fault', attempts: 0, faults, limits: email, windowStart: NOW, now: at });
      expect(decision.retry).toBe(true);
      if (decision.retry) at += decision.delayMs;
    }
    expect(decideRetry({ ...base, cause: 'fault', attempts: 0, faults: 3, limits: { windowMs: 1000 }, windowStart: NOW - 1000 }).retry).toBe(false);
  });

  it('ends tooOld when the event would expire before the next attempt', () => {
    const expiresAt = NOW + 10_000;
    expect(decideRetry({ ...base, cause: 'transient', attempts: 1, limits: email, windowStart: NOW, expiresAt })).toEqual({ retry: true, delayMs: 1000 });
    expect(decideRetry({ ...base, cause: 'transient', attempts: 1, retryAfterMs: 60_000, limits: email, windowStart: NOW, expiresAt })).toEqual({
      retry: false,
      status: 'tooOld',
      reason: 'Expires at 2026-03-01T12:00:10.000Z, before the next attempt (in 1 min) could be made',
    });
  });
});
