/**
 * Failover between two providers of one channel. It keeps no counter of its own: each side
 * is a gated provider (gated.provider.ts) with its own circuit breaker, and failing over is
 * what an open breaker means. One design, one count of failures:
 *
 * - closed primary: every send goes to the primary;
 * - FAILOVER_THRESHOLD consecutive transient failures open the primary's breaker: the primary
 *   answers `held` without touching the network, and the send goes to the secondary;
 * - once per BREAKER_PROBE_INTERVAL_MS one send (across all replicas) probes the primary; a
 *   success closes its breaker and the traffic comes back; a failure keeps it open, and that
 *   message goes on to the secondary at once, so probing costs no message an attempt;
 * - a primary on hold (it said "slow down") also sends to the secondary meanwhile;
 * - when the secondary's breaker is open (or it is held) too, the send is `held` with the
 *   shorter wait: the channel is down, and waiting costs no attempt.
 *
 * The primary's own pacing (its configured rate used up) does not spill onto the secondary:
 * a backup relay is not extra capacity unless configured as such.
 */
import type { Provider, SendOutcome } from './provider';
import { isHeld, wasProbe } from './gated.provider';

export function withFailover<M>(primary: Provider<M>, secondary: Provider<M>): Provider<M> {
  if (primary.channel !== secondary.channel) {
    throw new Error(`failover between channels ${primary.channel} and ${secondary.channel}`);
  }
  return {
    name: `failover(${primary.name},${secondary.name})`,
    channel: primary.channel,
    async send(message: M): Promise<SendOutcome> {
      const first = await primary.send(message);
      if (first.kind === 'transient' && wasProbe(first)) return secondary.send(message);
      if (!isHeld(first) || first.reason === 'pace') return first;
      const second = await secondary.send(message);
      if (second.kind !== 'held') return second;
      const wait = Math.min(first.retryAfterMs, second.retryAfterMs);
      return { ...second, retryAfterMs: wait, error: `${first.provider}: ${first.error}; ${second.provider}: ${second.error}` };
    },
    async close(): Promise<void> {
      await Promise.all([primary.close(), secondary.close()]);
    },
  };
}
