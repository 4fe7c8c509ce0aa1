/**
 * Sends through a provider only when its gate (provider-gate.ts) says go, and tells the gate
 * what the answer meant: a transient failure counts towards the breaker, a "slow down" holds
 * what the remote spoke for, any real answer shows the provider is up. A send the gate stops
 * returns `held` at once: no worker slot ever sleeps waiting for a provider.
 */
import type { Provider, SendOutcome } from './provider';
import { errorText } from './error-text';
import { holdKey, type BreakerChange, type BreakerState, type GateStore, type HoldReason } from './provider-gate';

export interface BreakerEvent {
  /** The breaker: a provider's name, or `<provider>@<origin>` for one push service. */
  breaker: string;
  provider: string;
  state: BreakerState;
  /**
   * Set when this replica made the change (log it, count it): `probing` when it took the one
   * probe of the interval. Unset when the replica only saw a state other than the one it saw
   * before (another replica changed it): update a gauge, do not log.
   */
  change?: BreakerChange | 'probing';
  /** The failure that opened or re-opened the breaker. */
  error?: string;
}

export type BreakerListener = (event: BreakerEvent) => void;

export interface GateWrapOptions<M> {
  /**
   * The independent remote a message goes to, when the provider talks to many (a web push
   * subscription's push service origin): holds and the breaker then apply to that remote only.
   */
  remoteOf?: (message: M) => string | undefined;
  /**
   * Whether a transient outcome says the provider (or remote) is unwell, and counts towards its
   * breaker; otherwise it is a real answer about this message (an SMTP relay's 450/451 for one
   * recipient) and shows the provider is up. @defaultValue every transient outcome
   */
  isProviderFault?: (outcome: Extract<SendOutcome, { kind: 'transient' }>) => boolean;
  /** Probe interval, for the jitter of an open breaker's holds. */
  probeIntervalMs: number;
  onBreaker?: BreakerListener;
  /** For tests. @defaultValue Math.random */
  random?: () => number;
}

/** The held outcome, with why (the failover sends to its secondary on 'hold' and 'open', not on 'pace'). */
export type HeldOutcome = Extract<SendOutcome, { kind: 'held' }> & { reason: HoldReason };

export function isHeld(outcome: SendOutcome): outcome is HeldOutcome {
  return outcome.kind === 'held';
}

/** Outcomes of sends that probed an open breaker (the failover retries a failed one on its secondary). */
const probeOutcomes = new WeakSet<SendOutcome>();

/** True when `outcome` came from the one send that probed an open breaker. */
export function wasProbe(outcome: SendOutcome): boolean {
  return probeOutcomes.has(outcome);
}

/**
 * How long a held job waits: the gate's wait plus jitter, so a backlog held together does not
 * come back together. An open breaker's backlog spreads over half a probe interval after the
 * probe; a hold's over a tenth of it (at most 5 s). A pacing wait is already spread (each
 * held caller is given the next free slot) and gets none.
 */
export function heldDelay(reason: HoldReason, waitMs: number, probeIntervalMs: number, random: () => number = Math.random): number {
  const spread = reason === 'open' ? probeIntervalMs / 2 : reason === 'hold' ? Math.min(waitMs / 10, 5000) : 0;
  return Math.ceil(waitMs + random() * spread);
}

const HOLD_TEXT: Record<HoldReason, string> = {
  hold: 'on hold: the provider asked us to wait',
  open: 'circuit open: the provider keeps failing, waiting for the next probe',
  pace: 'paced: the configured send rate is used up',
};

export function withGate<M>(provider: Provider<M>, store: GateStore, options: GateWrapOptions<M>): Provider<M> {
  const random = options.random ?? Math.random;
  /** The state this replica last saw per breaker, so the listener hears of changes only. */
  const seen = new Map<string, BreakerState>();
  const report = (event: BreakerEvent) => {
    if (!options.onBreaker) return;
    if (event.change === undefined && seen.get(event.breaker) === event.state) return;
    if (event.change === undefined && !seen.has(event.breaker) && event.state === 'closed') {
      seen.set(event.breaker, 'closed');
      return;
    }
    seen.set(event.breaker, event.state);
    options.onBreaker(event);
  };
  const stateAfter = (change: BreakerChange): BreakerState => (change === 'closed' ? 'closed' : 'open');

  return {
    name: provider.name,
    channel: provider.channel,
    async send(message: M): Promise<SendOutcome> {
      const remote = options.remoteOf?.(message);
      const breaker = remote === undefined ? provider.name : `${provider.name}@${remote}`;
      const holds = remote === undefined ? [holdKey(provider.name)] : [holdKey(provider.name), holdKey(provider.name, remote)];
      let entry;
      try {
        entry = await store.enter(breaker, holds);
      } catch (err) {
        // Without Redis we can honour neither the shared limit nor the holds; sending anyway
        // could get the account throttled or suspended, so let the queue retry later instead.
        return { kind: 'transient', provider: provider.name, error: `provider gate unavailable: ${errorText(err)}` };
      }
      if (!entry.go) {
        if (entry.reason === 'open') report({ breaker, provider: provider.name, state: 'open' });
        const held: HeldOutcome = {
          kind: 'held',
          provider: provider.name,
          error: `${HOLD_TEXT[entry.reason]}${remote === undefined ? '' : ` (${remote})`}`,
          retryAfterMs: heldDelay(entry.reason, entry.waitMs, options.probeIntervalMs, random),
          reason: entry.reason,
        };
        return held;
      }
      if (entry.probe) report({ breaker, provider: provider.name, state: 'half-open', change: 'probing' });
      else report({ breaker, provider: provider.name, state: 'closed' });

      const outcome = await provider.send(message);
      // Best effort from here on: the outcome stands whatever the bookkeeping does.
      try {
        if (outcome.kind === 'transient' && (options.isProviderFault?.(outcome) ?? true)) {
          // A transient's Retry-After (a 503's) applies to this message's retry only: the
          // breaker is what keeps traffic off a remote that keeps failing.
          const change = await store.failed(breaker, entry.probe);
          if (change) report({ breaker, provider: provider.name, state: stateAfter(change), change, error: outcome.error });
        } else {
          // A "slow down" holds what the remote spoke for: one push service, else the provider.
          if (outcome.kind === 'rate-limited') await store.hold(holdKey(provider.name, remote), outcome.retryAfterMs);
          // Any real answer, a refusal included, shows the provider is up and judging messages.
          if (entry.failures > 0 || entry.probe) {
            const change = await store.succeeded(breaker);
            if (change) report({ breaker, provider: provider.name, state: 'closed', change });
          }
        }
      } catch {
        // Redis went away after the send; the next enter() reports it.
      }
      if (entry.probe) probeOutcomes.add(outcome);
      return outcome;
    },
    close: () => provider.close(),
  };
}
