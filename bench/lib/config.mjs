// Sizes and knobs, all from the environment so a quick run or a bigger one needs no edit.
const int = (name, fallback) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return Math.floor(value);
};

export function readConfig(argv = process.argv.slice(2)) {
  const only = (process.env.BENCH_ONLY ?? argv.find((a) => a.startsWith('--only='))?.slice(7) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // --smoke: every section and ceiling, small enough to finish within a minute; it checks
  // that the bench works and writes a complete latest.json, not the targets.
  const smoke = argv.includes('--smoke') || process.env.BENCH_SMOKE === '1';
  const size = (full, small) => (smoke ? small : full);
  return {
    smoke,
    strict: argv.includes('--strict') || process.env.BENCH_STRICT === '1',
    only: only.length ? only : ['ingest', 'delivery', 'render'],
    databaseUrl: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    ingest: {
      batchSize: int('BENCH_BATCH_SIZE', size(1000, 250)), // events per POST /v1/events/batch (API max 1000)
      batches: int('BENCH_BATCHES', size(20, 3)), // measured batch requests
      batchClients: int('BENCH_BATCH_CLIENTS', 4), // concurrent batch clients
      singleSeconds: int('BENCH_SINGLE_SECONDS', size(5, 1)), // duration of the single-event run
      singleConnections: int('BENCH_SINGLE_CONNECTIONS', 32), // concurrent single-event clients
      singleWarmup: int('BENCH_SINGLE_WARMUP', size(500, 100)), // unmeasured single requests first
    },
    delivery: {
      events: int('BENCH_EVENTS', size(5000, 300)),
      concurrency: int('BENCH_WORKER_CONCURRENCY', 50), // WORKER_CONCURRENCY_BATCH and _REALTIME
      timeoutSeconds: int('BENCH_DELIVERY_TIMEOUT_S', 90),
    },
    latency: {
      rate: int('BENCH_LATENCY_RATE', 200), // events/s, steady, for the end-to-end latency
      seconds: int('BENCH_LATENCY_SECONDS', size(10, 1)),
    },
    render: {
      iterations: int('BENCH_RENDERS', size(10_000, 500)),
      items: int('BENCH_RENDER_ITEMS', 5), // ctx.items in the render scope
    },
    targets: {
      // Minimum ratios of each figure to its ceiling measured in the same run (see README).
      ratios: {
        ingestSingle: 0.35, // POST /v1/events vs a no-op Fastify route
        ingestSingleVsAdd: 0.8, // … vs Fastify + one raw BullMQ add per request
        ingestBatch: 0.8, // POST /v1/events/batch vs raw addBulk of the same jobs
        deliverySmtp: 0.8, // worker → SMTP sink vs a raw nodemailer pool → the same sink
        deliveryNoop: 0.5, // worker with the outbox provider vs raw BullMQ add + empty process
      },
      // Maxima.
      limits: { latencyP99Ms: 50, rssIngestMb: 300, rssWorkerMb: 300 },
      adobeMessagesPerHour: 50_000,
      renderMicros: 500,
    },
  };
}
