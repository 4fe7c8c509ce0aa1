/** Prometheus metrics. Each process owns a registry; the names are shared so dashboards
 * can add up ingest and worker replicas. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface IngestMetrics {
  registry: Registry;
  eventsAccepted: Counter<'lane'>;
  eventsRejected: Counter<'reason'>;
  /** Events moved to `bounced` or `complained` by feedback (the worker counts the other endings). */
  eventsFinished: Counter<'status'>;
  /** Bounce and complaint reports received, by source (ses, mail, smtp), effect and outcome. */
  feedbackReports: Counter<'source' | 'effect' | 'outcome'>;
}

export interface WorkerMetrics {
  registry: Registry;
  deliveries: Counter<'channel' | 'provider' | 'outcome'>;
  eventsFinished: Counter<'status'>;
  sendSeconds: Histogram<'channel'>;
  /** Circuit breaker state as this replica last saw it: 0 closed, 1 half-open, 2 open. */
  breakerState: Gauge<'breaker'>;
  /** Breaker changes this replica made: opened, probing, reopened, closed. */
  breakerChanges: Counter<'breaker' | 'change'>;
}

export function createIngestMetrics(): IngestMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    eventsAccepted: new Counter({
      name: 'mc_events_accepted_total',
      help: 'Events stored in the queue, by lane.',
      labelNames: ['lane'],
      registers: [registry],
    }),
    eventsRejected: new Counter({
      name: 'mc_events_rejected_total',
      help: 'Events refused at ingestion, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    // Same name as the worker's: summed over services it counts every ending by status.
    eventsFinished: new Counter({
      name: 'mc_events_finished_total',
      help: 'Events that reached a terminal status, by status.',
      labelNames: ['status'],
      registers: [registry],
    }),
    feedbackReports: new Counter({
      name: 'mc_feedback_reports_total',
      help: 'Bounce and complaint reports received, by source, effect (bounced, complained, delayed, none) and outcome (applied, unchanged, ignored, refused).',
      labelNames: ['source', 'effect', 'outcome'],
      registers: [registry],
    }),
  };
}

export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    deliveries: new Counter({
      name: 'mc_delivery_attempts_total',
      help: 'Send attempts, by channel, provider and classified outcome.',
      labelNames: ['channel', 'provider', 'outcome'],
      registers: [registry],
    }),
    eventsFinished: new Counter({
      name: 'mc_events_finished_total',
      help: 'Events that reached a terminal status, by status.',
      labelNames: ['status'],
      registers: [registry],
    }),
    sendSeconds: new Histogram({
      name: 'mc_send_duration_seconds',
      help: 'Time a provider took to accept or refuse a message.',
      labelNames: ['channel'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    breakerState: new Gauge({
      name: 'mc_breaker_state',
      help: 'Circuit breaker per provider (or push service): 0 closed, 1 half-open, 2 open. Take the max over replicas.',
      labelNames: ['breaker'],
      registers: [registry],
    }),
    breakerChanges: new Counter({
      name: 'mc_breaker_changes_total',
      help: 'Circuit breaker changes (opened, probing, reopened, closed); each counted once, by the replica that made it.',
      labelNames: ['breaker', 'change'],
      registers: [registry],
    }),
  };
}
