/**
 * A gate store (provider-gate.ts) that remembers, for a moment, that the way to an unpaced
 * provider was clear: an `enter` within `ttlMs` of one that answered "go, nothing wrong" (no
 * hold, breaker closed with no failure counted, not a probe) is answered from that memory
 * instead of a round trip to Redis.
 *
 * Why: without pacing, every send asked Redis the same question and nearly always heard the
 * same answer; that round trip was about a tenth of what an SMTP send cost the worker (measured
 * with the bench: 544–565 msg/s with it, 622–625 without, one worker, 5,000 messages).
 *
 * What it costs: what another replica writes is seen up to `ttlMs` late — a hold after its
 * 429, a breaker it opened. This replica's own trouble is seen at once: a transient failure or
 * a hold it records clears every memory (and an answer still on its way is then not kept), so
 * its next `enter` asks Redis again. A provider with a send rate must not use it: each send
 * claims a slot.
 */
import type { GateStore } from './provider-gate';

/** Remembered gates past which the expired ones are forgotten. */
const SWEEP_AT = 1024;

export interface GateRecallOptions {
  /** How long a clear answer is remembered. */
  ttlMs: number;
  /** For tests. @defaultValue performance.now */
  now?: () => number;
}

export interface GateRecall extends GateStore {
  /** Gates remembered now (for tests). */
  readonly remembered: number;
}

export function withGateRecall(store: GateStore, options: GateRecallOptions): GateRecall {
  const now = options.now ?? (() => performance.now());
  /** When each breaker and hold set was last seen clear. */
  const clearAt = new Map<string, number>();
  /**
   * Counts this replica's failures and holds: an answer Redis gave before one of them is stale
   * when it arrives after it, and is not remembered.
   */
  let troubles = 0;
  const forgetAll = () => {
    troubles++;
    clearAt.clear();
  };
  const keyOf = (breaker: string, holds: readonly string[]) => `${breaker}\n${holds.join('\n')}`;
  const forgetExpired = (at: number) => {
    for (const [key, seen] of clearAt) if (at - seen >= options.ttlMs) clearAt.delete(key);
  };

  return {
    async enter(breaker, holds) {
      const key = keyOf(breaker, holds);
      const seen = clearAt.get(key);
      if (seen !== undefined && now() - seen < options.ttlMs) return { go: true, probe: false, failures: 0 };
      const asked = now();
      const troublesBefore = troubles;
      const entry = await store.enter(breaker, holds);
      if (entry.go && !entry.probe && entry.failures === 0 && troubles === troublesBefore) {
        // Web push has a breaker per push service, and anybody may name a new one: forget
        // what has expired before the memory grows, so it holds one ttl's worth at most.
        if (clearAt.size >= SWEEP_AT) forgetExpired(asked);
        clearAt.set(key, asked);
      } else {
        clearAt.delete(key);
      }
      return entry;
    },
    succeeded: (breaker) => store.succeeded(breaker),
    failed(breaker, probe) {
      forgetAll();
      return store.failed(breaker, probe);
    },
    hold(key, ms) {
      forgetAll();
      return store.hold(key, ms);
    },
    state: (breaker) => store.state(breaker),
    get remembered() {
      return clearAt.size;
    },
  };
}
