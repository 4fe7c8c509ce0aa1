import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRedisGateStore } from './provider-gate';
import { gateStoreScenarios } from './provider-gate.scenarios';

const REDIS_URL = 'redis://127.0.0.1:6379';

describe('Redis gate store (the Lua scripts)', () => {
  const prefix = `mc-test:${randomUUID()}:`;
  let redis: Redis;
  let n = 0;

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  // Each scenario gets its own key space, as if on a Redis of its own.
  gateStoreScenarios((settings) => createRedisGateStore(redis, { ...settings, name: 'provider', prefix: `${prefix}${++n}:` }));

});
