/**
 * Failed authentications per client address: at most `limit` a minute, counted in Redis so
 * every ingest replica shares the count (one round trip per failure). Past the limit the address
 * is refused — with any key, the right one too — until its window ends, so a guesser learns
 * nothing from which answer it gets, and costs no key lookup. Used by the REST auth hook and
 * meant for the SOAP door as well (`app.authFailures`).
 *
 * Only failures cost a round trip: a request is checked against this process's memory of
 * blocked addresses, which it learns when it counts a failure past the limit. Another replica
 * learns it at the address's next failure there, so one address gets at most one extra attempt
 * per replica. Redis down: failures are counted in this process instead (still a limit, per
 * replica), never a refusal of everyone and never an open door.
 */
import { isIPv6 } from 'node:net';
import type { RedisClient } from '@mc/redis';

export interface AuthFailureVerdict {
  /** True when this failure went past the limit: answer 429, not 401. */
  limited: boolean;
  /** Seconds until the address's window ends (for Retry-After). */
  retryAfterSeconds: number;
}

export interface AuthFailureThrottleOptions {
  redis: RedisClient;
  /** Redis key prefix (the queue prefix), so test runs and deployments do not share counts. */
  keyPrefix: string;
  /** Failures per window per address; 0 turns the throttle off. */
  limit: number;
  /** @defaultValue 60000 */
  windowMs?: number;
  /** Told once per outage that Redis could not count and this process counts alone. */
  onRedisError?: (error: Error) => void;
  /** For tests of the window's end. @defaultValue Date.now */
  now?: () => number;
}

/** Addresses (and local counts) remembered at most; the oldest are dropped first. */
const MAX_TRACKED = 10_000;

// INCR, start the window on the first failure (or repair a key that lost its expiry), and say
// how much of the window is left: one round trip, atomic across replicas.
const COUNT_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}`;

type CountingRedis = RedisClient & { mcCountAuthFailure(key: string, windowMs: number): Promise<[number, number]> };

export class AuthFailureThrottle {
  readonly limit: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  /** Addresses past the limit → when their window ends (epoch ms). */
  private readonly blockedUntil = new Map<string, number>();
  /** Counts kept here while Redis cannot count. */
  private readonly localCounts = new Map<string, { count: number; resetAt: number }>();
  private redisFailing = false;

  constructor(private readonly options: AuthFailureThrottleOptions) {
    this.limit = options.limit;
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
    const redis = options.redis as CountingRedis;
    if (typeof redis.mcCountAuthFailure !== 'function') {
      redis.defineCommand('mcCountAuthFailure', { numberOfKeys: 1, lua: COUNT_SCRIPT });
    }
  }

  get enabled(): boolean {
    return this.limit > 0;
  }

  /**
   * Whether the address is refused right now (without a round trip): call before checking a
   * credential. Undefined → go on; otherwise answer 429 with Retry-After.
   */
  blocked(address: string): { retryAfterSeconds: number } | undefined {
    // Nobody blocked (the usual case): no need to work out the address's key (a regex or two).
    if (!this.enabled || this.blockedUntil.size === 0) return undefined;
    const key = clientKey(address);
    const until = this.blockedUntil.get(key);
    if (until === undefined) return undefined;
    const left = until - this.now();
    if (left <= 0) {
      this.blockedUntil.delete(key);
      return undefined;
    }
    return { retryAfterSeconds: Math.ceil(left / 1000) };
  }

  /** Counts a failed authentication (unknown or revoked key, bad password) from the address. */
  async fail(address: string): Promise<AuthFailureVerdict> {
    if (!this.enabled) return { limited: false, retryAfterSeconds: 0 };
    const key = clientKey(address);
    let count: number;
    let leftMs: number;
    try {
      [count, leftMs] = await (this.options.redis as CountingRedis).mcCountAuthFailure(
        `${this.options.keyPrefix}:auth-failures:${key}`,
        this.windowMs,
      );
      this.redisFailing = false;
    } catch (error) {
      if (!this.redisFailing) this.options.onRedisError?.(error as Error);
      this.redisFailing = true;
      ({ count, leftMs } = this.countLocally(key));
    }
    const retryAfterSeconds = Math.max(1, Math.ceil(leftMs / 1000));
    if (count <= this.limit) return { limited: false, retryAfterSeconds };
    remember(this.blockedUntil, key, this.now() + leftMs);
    return { limited: true, retryAfterSeconds };
  }

  private countLocally(key: string): { count: number; leftMs: number } {
    const now = this.now();
    let entry = this.localCounts.get(key);
    if (!entry || entry.resetAt <= now) entry = { count: 0, resetAt: now + this.windowMs };
    entry.count += 1;
    remember(this.localCounts, key, entry);
    return { count: entry.count, leftMs: entry.resetAt - now };
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key); // re-inserted last: Map order is the eviction order
  map.set(key, value);
  if (map.size > MAX_TRACKED) map.delete(map.keys().next().value!);
}

/**
 * What is counted for an address: IPv4 as it is (also when written IPv4-mapped), IPv6 by its /64,
 * the block one subscriber usually holds — counting single IPv6 addresses would let one client
 * rotate through 2^64 of them.
 */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
