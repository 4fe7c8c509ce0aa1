import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRateLimiter, withRateLimit } from './rate-limiter';
import type { Provider, SendOutcome } from './provider';

const REDIS_URL = 'redis://127.0.0.1:6379';

describe('Redis rate limiter (GCRA)', () => {
  const prefix = `mc-test:${randomUUID()}:`;
  let a: Redis;
  let b: Redis;

  beforeAll(() => {
    a = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    b = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    const keys = await a.keys(`${prefix}*`);
    if (keys.length > 0) await a.del(...keys);
    await Promise.all([a.quit(), b.quit()]);
  });

  it('holds 60 acquisitions from two replicas to 20/s (≈3 s)', async () => {
    const one = createRateLimiter(a, { key: 'smtp', perSecond: 20, prefix });
    const two = createRateLimiter(b, { key: 'smtp', perSecond: 20, prefix });
    const started = performance.now();
    const times: number[] = [];
    const take = async (limiter: typeof one) => {
      await limiter.acquire();
      times.push(performance.now() - started);
    };
    await Promise.all(Array.from({ length: 60 }, (_, i) => take(i % 2 === 0 ? one : two)));
    const elapsed = performance.now() - started;
    times.sort((x, y) => x - y);
    // 60 evenly spaced slots 50 ms apart: the last starts 59 × 50 ms = 2.95 s after the first.
    console.log(`rate limiter: 60 acquisitions at 20/s over 2 connections took ${elapsed.toFixed(0)} ms`);
    expect(elapsed).toBeGreaterThanOrEqual(2700);
    expect(elapsed).toBeLessThanOrEqual(3300);
    // Never more than 20 in any one-second window (with a little timer slack).
    for (let i = 20; i < times.length; i += 1) expect(times[i]! - times[i - 20]!).toBeGreaterThanOrEqual(950);
  }, 10_000);

  it('keeps separate keys independent', async () => {
    const slow = createRateLimiter(a, { key: 'slow', perSecond: 1, prefix });
    const fast = createRateLimiter(b, { key: 'fast', perSecond: 1000, prefix });
    await slow.acquire();
    const started = performance.now();
    await Promise.all(Array.from({ length: 10 }, () => fast.acquire()));
    expect(performance.now() - started).toBeLessThan(200);
    expect(slow.key).toBe(`${prefix}slow`);
  });

  it('lets a burst through at once when configured', async () => {
    const limiter = createRateLimiter(a, { key: 'burst', perSecond: 10, burst: 5, prefix });
    const started = performance.now();
    await Promise.all(Array.from({ length: 5 }, () => limiter.acquire()));
    expect(performance.now() - started).toBeLessThan(100);
    await limiter.acquire();
    expect(performance.now() - started).toBeGreaterThanOrEqual(80);
  });

  it('pushes the provider back when it answers rate-limited, for every replica', async () => {
    let answer: SendOutcome = { kind: 'rate-limited', provider: 'sns-sms', error: 'Throttling', retryAfterMs: 800 };
    let sends = 0;
    const provider: Provider<string> = {
      name: 'sns-sms',
      channel: 'sms',
      async send() {
        sends += 1;
        return answer;
      },
      async close() {},
    };
    const onA = withRateLimit(provider, createRateLimiter(a, { key: 'sns-sms', perSecond: 100, prefix }));
    const onB = withRateLimit(provider, createRateLimiter(b, { key: 'sns-sms', perSecond: 100, prefix }));

    expect(await onA.send('x')).toEqual(answer);
    answer = { kind: 'sent', provider: 'sns-sms', providerMessageId: 'm1' };
    const started = performance.now();
    // The other replica's next send waits out the provider's Retry-After.
    expect(await onB.send('y')).toEqual(answer);
    const waited = performance.now() - started;
    console.log(`rate limiter: push-back of 800 ms held the next send for ${waited.toFixed(0)} ms`);
    expect(waited).toBeGreaterThanOrEqual(700);
    expect(waited).toBeLessThan(1200);
    expect(sends).toBe(2);
    expect(onA.name).toBe('sns-sms');
  });

  it('without a rate (perSecond Infinity) sends at once, but holds every replica back after a push-back', async () => {
    const one = createRateLimiter(a, { key: 'unpaced', perSecond: Infinity, prefix });
    const two = createRateLimiter(b, { key: 'unpaced', perSecond: Infinity, prefix });
    let started = performance.now();
    await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? one : two).acquire()));
    expect(performance.now() - started).toBeLessThan(200);

    await one.pushBack(600);
    started = performance.now();
    await two.acquire();
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(500);
    expect(waited).toBeLessThan(900);
    // Once the hold has passed, no pacing again.
    started = performance.now();
    await Promise.all(Array.from({ length: 20 }, () => one.acquire()));
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('answers transient rather than sending unthrottled when Redis is unreachable', async () => {
    const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    let sends = 0;
    const provider: Provider<string> = {
      name: 'web-push',
      channel: 'push',
      async send() {
        sends += 1;
        return { kind: 'sent', provider: 'web-push', providerMessageId: 'x' };
      },
      async close() {},
    };
    const limited = withRateLimit(provider, createRateLimiter(down, { key: 'web-push', perSecond: 10, prefix }));
    await expect(limited.send('x')).resolves.toMatchObject({ kind: 'transient', provider: 'web-push', error: expect.stringContaining('rate limiter') });
    expect(sends).toBe(0);
    down.disconnect();
  });
});
