/** The failed-authentication throttle against the running Redis, each test with its own key prefix. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { AuthFailureThrottle } from './auth-failure-throttle';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = new Redis(REDIS_URL);
const prefixes: string[] = [];
const newPrefix = () => {
  const prefix = `authfail-${randomBytes(4).toString('hex')}`;
  prefixes.push(prefix);
  return prefix;
};

afterAll(async () => {
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  }
  redis.disconnect();
});

test('the failure past the limit is refused, and so is the address (any key) until its window ends', async () => {
  let now = 1_000_000;
  const throttle = new AuthFailureThrottle({ redis, keyPrefix: newPrefix(), limit: 3, windowMs: 60_000, now: () => now });
  const verdicts = [];
  for (let i = 0; i < 3; i++) verdicts.push((await throttle.fail('203.0.113.9')).limited);
  expect(verdicts).toEqual([false, false, false]);
  expect(throttle.blocked('203.0.113.9')).toBeUndefined();

  const fourth = await throttle.fail('203.0.113.9');
  expect(fourth.limited).toBe(true);
  expect(fourth.retryAfterSeconds).toBeGreaterThan(50);
  expect(fourth.retryAfterSeconds).toBeLessThanOrEqual(60);
  expect(throttle.blocked('203.0.113.9')).toEqual({ retryAfterSeconds: fourth.retryAfterSeconds });
  expect(throttle.blocked('203.0.113.10')).toBeUndefined();
  // Written IPv4-mapped, it is the same client.
  expect(throttle.blocked('::ffff:203.0.113.9')).toBeDefined();

  now += fourth.retryAfterSeconds * 1000;
  expect(throttle.blocked('203.0.113.9')).toBeUndefined();
});

test('replicas share the count through Redis: one learns the block at the address’s next failure there', async () => {
  const keyPrefix = newPrefix();
  const a = new AuthFailureThrottle({ redis, keyPrefix, limit: 2 });
  const b = new AuthFailureThrottle({ redis, keyPrefix, limit: 2 });
  expect((await a.fail('198.51.100.1')).limited).toBe(false);
  expect((await b.fail('198.51.100.1')).limited).toBe(false);
  expect((await a.fail('198.51.100.1')).limited).toBe(true);
  expect(b.blocked('198.51.100.1')).toBeUndefined();
  expect((await b.fail('198.51.100.1')).limited).toBe(true);
  expect(b.blocked('198.51.100.1')).toBeDefined();
  const ttl = await redis.pttl(`${keyPrefix}:auth-failures:198.51.100.1`);
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(60_000);
});

test('an IPv6 client is counted by its /64', async () => {
  const throttle = new AuthFailureThrottle({ redis, keyPrefix: newPrefix(), limit: 1 });
  expect((await throttle.fail('2001:db8:1:2::1')).limited).toBe(false);
  expect((await throttle.fail('2001:db8:1:2:ffff::9')).limited).toBe(true);
  expect(throttle.blocked('2001:0db8:0001:0002:aaaa::')).toBeDefined();
  expect(throttle.blocked('2001:db8:1:3::1')).toBeUndefined();
});

test('limit 0 counts nothing and refuses nobody', async () => {
  const keyPrefix = newPrefix();
  const throttle = new AuthFailureThrottle({ redis, keyPrefix, limit: 0 });
  for (let i = 0; i < 5; i++) expect((await throttle.fail('192.0.2.1')).limited).toBe(false);
  expect(throttle.blocked('192.0.2.1')).toBeUndefined();
  expect(await redis.keys(`${keyPrefix}:*`)).toEqual([]);
});

test('with Redis unreachable the process counts alone, still refusing past the limit, and says so once', async () => {
  const down = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
  down.on('error', () => undefined);
  const errors: Error[] = [];
  const throttle = new AuthFailureThrottle({ redis: down, keyPrefix: newPrefix(), limit: 2, onRedisError: (e) => errors.push(e) });
  const verdicts = [];
  for (let i = 0; i < 3; i++) verdicts.push((await throttle.fail('192.0.2.7')).limited);
  expect(verdicts).toEqual([false, false, true]);
  expect(throttle.blocked('192.0.2.7')).toBeDefined();
  expect(throttle.blocked('192.0.2.8')).toBeUndefined();
  expect(errors).toHaveLength(1);
  down.disconnect();
});
