/**
 * The gate in front of one provider: everything that can say "not now" before a send, in one
 * place and (with Redis) in one round trip shared by every worker replica.
 *
 * - Holds: the provider, or one remote behind it (a push service's origin), asked us to wait
 *   (a 429 with Retry-After, SNS throttling, an SMTP "too many" reply). A hold is a Redis key
 *   that expires when the wait is over.
 * - Circuit breaker: after `threshold` consecutive transient failures the breaker opens; sends
 *   are held without touching the network, and one send per `probeIntervalMs` (one across all
 *   replicas: the probe lock is `SET NX PX`-like) tests the provider. A success closes the
 *   breaker, a failed probe starts a new interval.
 * - Pacing: the configured sends per second (GCRA, the generic cell rate algorithm). A caller
 *   whose slot is further away than `maxAwaitMs` (one interval, 20-100 ms) is held and does NOT keep a reservation: a
 *   held job may come back late or never (cancelled, expired), and a slot it kept would slow
 *   everybody else down for nothing. Held callers are told to come back at successive slots
 *   (a separate "hint" cursor, which nobody waits for), so a backlog of N returns spread over
 *   N intervals instead of all polling every interval. They are told to come back half of
 *   `maxAwaitMs` before their slot and sit out the rest in process: a delayed job comes back
 *   a few to tens of ms late, and one aimed at its slot exactly would find the slot gone
 *   (the schedule slips, later jobs come back "early", are held again and their slots go
 *   unused: that lost 6-12 % of the rate).
 *
 * The Redis store runs this as Lua with Redis' own clock; the memory store is the same state
 * machine for a process without Redis (the ingest's proof sends) and for unit tests. Both are
 * held to the same scenarios (provider-gate.test.ts, provider-gate.int.test.ts).
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { errorText } from './error-text';

/** Why a send was not attempted. */
export type HoldReason = 'hold' | 'open' | 'pace';

export type BreakerState = 'closed' | 'open' | 'half-open';

export type GateEntry =
  /** Send now. `probe`: this send tests an open breaker. */
  | { go: true; probe: boolean; failures: number }
  /** Do not send; try again in `waitMs`. */
  | { go: false; reason: HoldReason; waitMs: number };

/** A breaker change this call made (only the replica that makes a change is told of it). */
export type BreakerChange = 'opened' | 'reopened' | 'closed';

export interface GateSettings {
  /** Sends per second across all replicas; undefined or Infinity paces nothing. */
  perSecond?: number;
  /** Sends allowed back to back before spacing applies. @defaultValue 1 */
  burst?: number;
  /** Consecutive transient failures that open the breaker (FAILOVER_THRESHOLD). */
  threshold: number;
  /** Time between probes of an open breaker (BREAKER_PROBE_INTERVAL_MS). */
  probeIntervalMs: number;
  /**
   * A pacing wait up to this is awaited in process instead of holding the job.
   * - Holding costs the job a trip through BullMQ's delayed set (several Redis round trips and
   *   a promotion delay of about the same size), so a wait this short is cheaper sat out.
   * - Held jobs come back half of this before their slot (see the note at the top), so it must
   *   cover the lateness of a delayed job: one interval does.
   * - Capped at 100 ms, a wait per send can never pile up into the stall a sleeping limiter
   *   caused (20 slots sleeping out a one-hour Retry-After).
   * @defaultValue one interval, at least 20 ms and at most 100 ms
   */
  maxAwaitMs?: number;
}

export interface GateStore {
  /**
   * @param breaker the breaker's key: the provider's name, or the remote's for providers
   *   that talk to many independent services (web push: one breaker per push service).
   * @param holds hold keys to check: the provider's, and the remote's when there is one.
   */
  enter(breaker: string, holds: readonly string[]): Promise<GateEntry>;
  /** A send succeeded after `enter` said go; closes an open breaker. */
  succeeded(breaker: string): Promise<BreakerChange | undefined>;
  /** A send failed transiently; may open (or, for a probe, re-open) the breaker. */
  failed(breaker: string, probe: boolean): Promise<BreakerChange | undefined>;
  /** Nobody sends through `key` for `ms` (a longer hold already there stays). */
  hold(key: string, ms: number): Promise<void>;
  /** Breaker state as seen now (for health pages and tests). */
  state(breaker: string): Promise<BreakerState>;
}

/**
 * KEYS: 1 pacing (GCRA TAT), 2 pacing hint, 3 breaker hash {failures, open}, 4 probe lock,
 * 5.. hold keys. ARGV: interval ms (0: no pacing), tolerance ms, max await ms, probe interval ms.
 * Returns {reason|'go', wait ms, failures, probe 0/1}.
 */
const ENTER_SCRIPT = `
for i = 5, #KEYS do
  local h = redis.call('PTTL', KEYS[i])
  if h > 0 then return {'hold', h, 0, 0} end
end
local failures = tonumber(redis.call('HGET', KEYS[3], 'failures') or '0')
local open = redis.call('HGET', KEYS[3], 'open')
if open then
  local p = redis.call('PTTL', KEYS[4])
  if p > 0 then return {'open', p, failures, 0} end
end
local interval = tonumber(ARGV[1])
local wait = 0
if interval > 0 then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
  local tolerance = tonumber(ARGV[2])
  local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
  if tat < now then tat = now end
  wait = tat - tolerance - now
  if wait > tonumber(ARGV[3]) then
    local slot = tonumber(redis.call('GET', KEYS[2]) or '0')
    if slot < tat then slot = tat end
    redis.call('SET', KEYS[2], string.format('%.3f', slot + interval), 'PX', math.ceil(slot + interval - now) + 1000)
    return {'pace', math.ceil(slot - tolerance - now - tonumber(ARGV[3]) / 2), failures, 0}
  end
  tat = tat + interval
  redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 1000)
end
if open then
  redis.call('SET', KEYS[4], '1', 'PX', ARGV[4])
  return {'go', math.ceil(math.max(wait, 0)), failures, 1}
end
return {'go', math.ceil(math.max(wait, 0)), failures, 0}
`;

/**
 * KEYS: 1 breaker hash, 2 probe lock. ARGV: 'ok' | 'fail', threshold, probe interval ms,
 * probe 0/1, memory ms (how long failures are remembered while closed).
 */
const RECORD_SCRIPT = `
local open = redis.call('HGET', KEYS[1], 'open')
if ARGV[1] == 'ok' then
  redis.call('DEL', KEYS[1])
  if open then
    redis.call('DEL', KEYS[2])
    return 'closed'
  end
  return ''
end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if open then
  if ARGV[4] == '1' then
    redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
    return 'reopened'
  end
  return ''
end
if failures >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'open', '1')
  redis.call('PERSIST', KEYS[1])
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return 'opened'
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return ''
`;

/** KEYS: 1 hold key. ARGV: ms. A shorter hold never cuts a longer one short. */
const HOLD_SCRIPT = `
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 0
`;

/** KEYS: 1 breaker hash, 2 probe lock. */
const STATE_SCRIPT = `
if not redis.call('HGET', KEYS[1], 'open') then return 'closed' end
if redis.call('PTTL', KEYS[2]) > 0 then return 'open' end
return 'half-open'
`;

/**
 * Failures counted while the breaker is closed are forgotten after this long without another:
 * "consecutive" means in one spell of trouble, not two failures a week apart.
 */
const FAILURE_MEMORY_MS = 10 * 60_000;

interface Script {
  body: string;
  sha: string;
}
const script = (body: string): Script => ({ body, sha: createHash('sha1').update(body).digest('hex') });
const ENTER = script(ENTER_SCRIPT);
const RECORD = script(RECORD_SCRIPT);
const HOLD = script(HOLD_SCRIPT);
const STATE = script(STATE_SCRIPT);

function checkSettings(settings: GateSettings): { interval: number; tolerance: number; maxAwaitMs: number } {
  const perSecond = settings.perSecond ?? Infinity;
  if (!(perSecond > 0)) throw new Error('rate limit perSecond must be positive');
  const burst = settings.burst ?? 1;
  if (!Number.isInteger(burst) || burst < 1) throw new Error('rate limit burst must be a positive integer');
  if (!Number.isInteger(settings.threshold) || settings.threshold < 1) throw new Error('breaker threshold must be a positive integer');
  if (!(settings.probeIntervalMs > 0)) throw new Error('breaker probe interval must be positive');
  const interval = Number.isFinite(perSecond) ? 1000 / perSecond : 0;
  return { interval, tolerance: interval * (burst - 1), maxAwaitMs: settings.maxAwaitMs ?? Math.min(Math.max(interval, 20), 100) };
}

export interface RedisGateOptions extends GateSettings {
  /** Every key starts with this, then the provider as hash tag: `mc:gate:{smtp}:rate:smtp`. */
  prefix: string;
  /** The provider's name: the pacing key. */
  name: string;
}

/** Key of the hold on a provider, or on one remote behind it. */
export function holdKey(provider: string, remote?: string): string {
  return remote === undefined ? `hold:${provider}` : `hold:${provider}@${remote}`;
}

export function createRedisGateStore(redis: Redis | Cluster, options: RedisGateOptions): GateStore {
  const { interval, tolerance, maxAwaitMs } = checkSettings(options);
  // Every key of one provider's gate carries the provider's name as hash tag, so the scripts
  // (which touch its pacing, breaker, probe and hold keys together) run in a Redis Cluster:
  // one slot per provider, different providers on different slots.
  const p = `${options.prefix}{${options.name}}:`;
  const breakerKeys = (breaker: string) => [`${p}breaker:${breaker}`, `${p}probe:${breaker}`];

  const run = async (s: Script, keys: string[], args: (string | number)[]): Promise<unknown> => {
    try {
      return await redis.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (err) {
      // First use on this Redis (or after SCRIPT FLUSH/restart): load it by sending the body.
      if (!errorText(err).includes('NOSCRIPT')) throw err;
      return redis.eval(s.body, keys.length, ...keys, ...args);
    }
  };
  const change = (answer: unknown) => (answer === '' ? undefined : (answer as BreakerChange));

  return {
    async enter(breaker, holds) {
      const keys = [`${p}rate:${options.name}`, `${p}pace-hint:${options.name}`, ...breakerKeys(breaker), ...holds.map((h) => `${p}${h}`)];
      const args = [interval.toFixed(3), tolerance.toFixed(3), maxAwaitMs, options.probeIntervalMs];
      const [verdict, wait, failures, probe] = (await run(ENTER, keys, args)) as [string, number, number, number];
      if (verdict === 'go') {
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        return { go: true, probe: probe === 1, failures: Number(failures) };
      }
      return { go: false, reason: verdict as HoldReason, waitMs: Number(wait) };
    },
    async succeeded(breaker) {
      return change(await run(RECORD, breakerKeys(breaker), ['ok', options.threshold, options.probeIntervalMs, 0, FAILURE_MEMORY_MS]));
    },
    async failed(breaker, probe) {
      const args = ['fail', options.threshold, options.probeIntervalMs, probe ? 1 : 0, FAILURE_MEMORY_MS];
      return change(await run(RECORD, breakerKeys(breaker), args));
    },
    async hold(key, ms) {
      if (ms > 0) await run(HOLD, [`${p}${key}`], [Math.ceil(ms)]);
    },
    async state(breaker) {
      return (await run(STATE, breakerKeys(breaker), [])) as BreakerState;
    },
  };
}

/**
 * The same gate for one process, without Redis: nothing is shared, which is right for the
 * ingest's proof sends (one message, on an operator's request) and for unit tests.
 */
export function createMemoryGateStore(settings: GateSettings, now: () => number = Date.now): GateStore {
  const { interval, tolerance, maxAwaitMs } = checkSettings(settings);
  let tat = 0;
  let hint = 0;
  const holds = new Map<string, number>();
  const breakers = new Map<string, { failures: number; open: boolean; probeUntil: number; forgetAt: number }>();
  const get = (breaker: string) => {
    const b = breakers.get(breaker);
    if (b && !b.open && now() >= b.forgetAt) {
      breakers.delete(breaker);
      return undefined;
    }
    return b;
  };

  return {
    async enter(breaker, keys) {
      const t = now();
      for (const key of keys) {
        const until = holds.get(key) ?? 0;
        if (until > t) return { go: false, reason: 'hold', waitMs: Math.ceil(until - t) };
      }
      const b = get(breaker);
      if (b?.open && b.probeUntil > t) return { go: false, reason: 'open', waitMs: Math.ceil(b.probeUntil - t) };
      let wait = 0;
      if (interval > 0) {
        const start = Math.max(tat, t);
        wait = start - tolerance - t;
        if (wait > maxAwaitMs) {
          const slot = Math.max(hint, start);
          hint = slot + interval;
          return { go: false, reason: 'pace', waitMs: Math.ceil(slot - tolerance - t - maxAwaitMs / 2) };
        }
        tat = start + interval;
      }
      const probe = b?.open === true;
      if (b && probe) b.probeUntil = t + settings.probeIntervalMs;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      return { go: true, probe, failures: b?.failures ?? 0 };
    },
    async succeeded(breaker) {
      const b = breakers.get(breaker);
      breakers.delete(breaker);
      return b?.open ? 'closed' : undefined;
    },
    async failed(breaker, probe) {
      const t = now();
      const b = get(breaker) ?? { failures: 0, open: false, probeUntil: 0, forgetAt: 0 };
      breakers.set(breaker, b);
      b.failures += 1;
      if (b.open) {
        if (!probe) return undefined;
        b.probeUntil = t + settings.probeIntervalMs;
        return 'reopened';
      }
      if (b.failures >= settings.threshold) {
        b.open = true;
        b.probeUntil = t + settings.probeIntervalMs;
        return 'opened';
      }
      b.forgetAt = t + FAILURE_MEMORY_MS;
      return undefined;
    },
    async hold(key, ms) {
      if (ms > 0) holds.set(key, Math.max(holds.get(key) ?? 0, now() + ms));
    },
    async state(breaker) {
      const b = get(breaker);
      if (!b?.open) return 'closed';
      return b.probeUntil > now() ? 'open' : 'half-open';
    },
  };
}
