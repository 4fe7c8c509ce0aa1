/**
 * Events per second per caller (INGEST_RATE_PER_KEY), counted in Redis so every ingest replica
 * shares the count: a fixed one-second window per scope. One single-key script per request adds
 * to the window and starts its expiry when it is new — one command where a MULTI of INCRBY and
 * EXPIRE took four, with no transaction object built per request — and, being single-key, it
 * runs on a Redis Cluster as it does on one Redis.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '@mc/redis';

const ADD_SCRIPT = `
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return n`;

/** A window outlives its second a little, so a replica whose clock lags still finds it. */
const WINDOW_TTL_SECONDS = 2;

type CountingRedis = RedisClient & { mcAddToRateWindow(key: string, count: number, ttlSeconds: number): Promise<number> };

export class RateWindow {
  constructor(
    private readonly redis: RedisClient,
    /** Redis key prefix (the queue prefix), so deployments and test runs do not share counts. */
    private readonly keyPrefix: string,
  ) {
    if (typeof (redis as CountingRedis).mcAddToRateWindow !== 'function') {
      redis.defineCommand('mcAddToRateWindow', { numberOfKeys: 1, lua: ADD_SCRIPT });
    }
  }

  /** Adds `count` events to the current second of `scope`: the second's total, these included. */
  async add(scope: string, count: number, now: number = Date.now()): Promise<number> {
    return (this.redis as CountingRedis).mcAddToRateWindow(this.key(scope, now), count, WINDOW_TTL_SECONDS);
  }

  /** The window's key: the scope hashed (API key ids stay out of Redis key names), then the second. */
  key(scope: string, now: number): string {
    const scopeHash = createHash('sha256').update(scope).digest('hex').slice(0, 16);
    return `${this.keyPrefix}:ingest-rate:${scopeHash}:${Math.floor(now / 1000)}`;
  }
}
