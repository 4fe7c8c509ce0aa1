/**
 * A send-rate limit shared by every worker replica, kept in Redis with GCRA (the generic
 * cell rate algorithm): one key per provider holding the "theoretical arrival time", updated
 * atomically by a Lua script that also says how long the caller must wait. Each acquire
 * reserves the next slot, so waiting callers are served in order with one round trip each.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Provider, SendOutcome } from './provider';
import { errorText } from './error-text';

export interface RateLimiterOptions {
  /** Usually the provider's name; a 429 from one provider must not slow the others. */
  key: string;
  /**
   * Sustained sends per second across all replicas. `Infinity` paces nothing but still holds
   * every replica back while a provider's "slow down" (see `pushBack`) lasts.
   */
  perSecond: number;
  /**
   * Sends allowed back to back before spacing applies. 1 spaces every send evenly, which is
   * what providers with per-second limits expect. @defaultValue 1
   */
  burst?: number;
  /** @defaultValue `mc:rate:` */
  prefix?: string;
}

export interface RateLimiter {
  /** The Redis key holding this limiter's state. */
  readonly key: string;
  /** Resolves when the caller may send. */
  acquire(): Promise<void>;
  /** Lets nobody through for `delayMs` (the provider said so, e.g. a 429 with Retry-After). */
  pushBack(delayMs: number): Promise<void>;
}

/**
 * KEYS[1] = state key; ARGV = interval ms, tolerance ms (burst-1 intervals), push-back ms
 * (0 for an acquire). Redis' own clock is used so replicas with skewed clocks agree.
 * Returns the wait in ms (acquire) or 0 (push-back).
 */
const GCRA_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local pushback = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = 0
if pushback > 0 then
  local held = now + pushback + tolerance
  if held > tat then tat = held end
else
  wait = tat - tolerance - now
  if wait < 0 then wait = 0 end
  tat = tat + interval
end
redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 1000)
return math.ceil(wait)
`;
const GCRA_SHA = createHash('sha1').update(GCRA_SCRIPT).digest('hex');

export function createRateLimiter(redis: Redis, options: RateLimiterOptions): RateLimiter {
  if (!(options.perSecond > 0)) throw new Error('rate limit perSecond must be positive');
  const burst = options.burst ?? 1;
  if (!Number.isInteger(burst) || burst < 1) throw new Error('rate limit burst must be a positive integer');
  const key = `${options.prefix ?? 'mc:rate:'}${options.key}`;
  const interval = 1000 / options.perSecond;
  const tolerance = interval * (burst - 1);

  const run = async (pushBackMs: number): Promise<number> => {
    const args = [interval.toFixed(3), tolerance.toFixed(3), pushBackMs.toFixed(0)];
    try {
      return Number(await redis.evalsha(GCRA_SHA, 1, key, ...args));
    } catch (err) {
      // First use on this Redis (or after SCRIPT FLUSH/restart): load it by sending the body.
      if (!errorText(err).includes('NOSCRIPT')) throw err;
      return Number(await redis.eval(GCRA_SCRIPT, 1, key, ...args));
    }
  };

  return {
    key,
    async acquire(): Promise<void> {
      const wait = await run(0);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    },
    async pushBack(delayMs: number): Promise<void> {
      if (delayMs > 0) await run(delayMs);
    },
  };
}

/**
 * Sends through `provider` at the limiter's pace. When the provider answers rate-limited,
 * the limiter is pushed back by the provider's delay, so every replica slows down for this
 * provider alone.
 */
export function withRateLimit<M>(provider: Provider<M>, limiter: RateLimiter): Provider<M> {
  return {
    name: provider.name,
    channel: provider.channel,
    async send(message: M): Promise<SendOutcome> {
      try {
        await limiter.acquire();
      } catch (err) {
        // Without Redis we cannot honour the shared limit; sending anyway could get the
        // account throttled or suspended, so let the queue retry later instead.
        return { kind: 'transient', provider: provider.name, error: `rate limiter unavailable: ${errorText(err)}` };
      }
      const outcome = await provider.send(message);
      if (outcome.kind === 'rate-limited') {
        // Best effort: the outcome already carries the delay for this message's retry.
        await limiter.pushBack(outcome.retryAfterMs).catch(() => undefined);
      }
      return outcome;
    },
    close: () => provider.close(),
  };
}
