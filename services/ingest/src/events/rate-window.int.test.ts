/** The per-caller second windows against the running Redis. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RateWindow } from './rate-window';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let prefix: string;
let redis: Redis;

beforeAll(() => {
  prefix = `rate-${randomBytes(4).toString('hex')}`;
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

test('adds up within a second, per scope; a new second starts again', async () => {
  const windows = new RateWindow(redis, prefix);
  const second = 1_900_000_000_000;
  expect(await windows.add('key:1', 3, second)).toBe(3);
  expect(await windows.add('key:1', 1000, second + 999)).toBe(1003);
  expect(await windows.add('key:2', 1, second + 500)).toBe(1);
  expect(await windows.add('key:1', 1, second + 1000)).toBe(1);
});

test('a window expires two seconds after it starts, and is not extended by later adds', async () => {
  const windows = new RateWindow(redis, prefix);
  const now = 1_900_000_100_000;
  await windows.add('key:ttl', 1, now);
  const key = windows.key('key:ttl', now);
  const first = await redis.pttl(key);
  expect(first).toBeGreaterThan(1000);
  expect(first).toBeLessThanOrEqual(2000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await windows.add('key:ttl', 1, now);
  expect(await redis.pttl(key)).toBeLessThanOrEqual(first - 200);
});

test('a window that lost its expiry gets one back at the next add', async () => {
  const windows = new RateWindow(redis, prefix);
  const now = 1_900_000_200_000;
  const key = windows.key('key:repair', now);
  await redis.set(key, '5');
  expect(await windows.add('key:repair', 2, now)).toBe(7);
  expect(await redis.ttl(key)).toBeGreaterThan(0);
});

test('two replicas (two connections) share the count', async () => {
  const other = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    const now = 1_900_000_300_000;
    const a = new RateWindow(redis, prefix);
    const b = new RateWindow(other, prefix);
    await Promise.all([a.add('key:shared', 2, now), b.add('key:shared', 3, now)]);
    expect(await a.add('key:shared', 0, now)).toBe(5);
  } finally {
    other.disconnect();
  }
});
