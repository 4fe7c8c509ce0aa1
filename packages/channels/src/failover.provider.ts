/**
 * Failover between two providers of one channel, as a small circuit breaker: after
 * `threshold` consecutive transient or rate-limited answers from the primary, sends go to
 * the secondary for a cool-down period, then the primary gets another chance.
 */
import type { Provider, SendOutcome } from './provider';

export interface FailoverOptions {
  /** Consecutive transient/rate-limited primary outcomes that switch to the secondary. */
  threshold: number;
  /** How long the secondary takes the traffic before the primary is tried again. @defaultValue 30 000 */
  coolDownMs?: number;
  /** Clock, for tests. @defaultValue `Date.now` */
  now?: () => number;
}

export interface FailoverProvider<M> extends Provider<M> {
  /** Name of the provider the next send goes to (for metrics and health pages). */
  readonly active: string;
}

export function withFailover<M>(primary: Provider<M>, secondary: Provider<M>, options: FailoverOptions): FailoverProvider<M> {
  if (primary.channel !== secondary.channel) {
    throw new Error(`failover between channels ${primary.channel} and ${secondary.channel}`);
  }
  if (!Number.isInteger(options.threshold) || options.threshold < 1) throw new Error('failover threshold must be a positive integer');
  const coolDownMs = options.coolDownMs ?? 30_000;
  const now = options.now ?? Date.now;
  // State is per instance (per worker process): each replica judges the primary by what it sees.
  let failures = 0;
  let secondaryUntil = 0;
  /** True after a cool-down, until the primary answers: one more failure is enough to switch back. */
  let probing = false;

  const usingSecondary = () => now() < secondaryUntil;

  return {
    name: `failover(${primary.name},${secondary.name})`,
    channel: primary.channel,
    get active() {
      return usingSecondary() ? secondary.name : primary.name;
    },
    async send(message: M): Promise<SendOutcome> {
      if (usingSecondary()) return secondary.send(message);
      if (secondaryUntil !== 0) {
        secondaryUntil = 0;
        probing = true;
      }
      const outcome = await primary.send(message);
      if (outcome.kind === 'transient' || outcome.kind === 'rate-limited') {
        failures += 1;
        if (probing || failures >= options.threshold) {
          secondaryUntil = now() + coolDownMs;
          failures = 0;
          probing = false;
        }
      } else {
        // Any real answer (a refusal included) shows the primary is up and judging messages.
        failures = 0;
        probing = false;
      }
      return outcome;
    },
    async close(): Promise<void> {
      await Promise.all([primary.close(), secondary.close()]);
    },
  };
}
