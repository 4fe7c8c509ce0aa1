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
  return {
    strict: argv.includes('--strict') || process.env.BENCH_STRICT === '1',
    only: only.length ? only : ['ingest', 'delivery', 'render'],
    databaseUrl: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    ingest: {
      batchSize: int('BENCH_BATCH_SIZE', 1000), // events per POST /v1/events/batch (API max 1000)
      batches: int('BENCH_BATCHES', 20), // measured batch requests
      batchClients: int('BENCH_BATCH_CLIENTS', 4), // concurrent batch clients
      singleSeconds: int('BENCH_SINGLE_SECONDS', 5), // duration of the single-event run
      singleConnections: int('BENCH_SINGLE_CONNECTIONS', 32), // concurrent single-event clients
      singleWarmup: int('BENCH_SINGLE_WARMUP', 500), // unmeasured single requests first
    },
    delivery: {
      events: int('BENCH_EVENTS', 5000),
      concurrency: int('BENCH_WORKER_CONCURRENCY', 50), // WORKER_CONCURRENCY_BATCH and _REALTIME
      timeoutSeconds: int('BENCH_DELIVERY_TIMEOUT_S', 90),
    },
    render: {
      iterations: int('BENCH_RENDERS', 10_000),
      items: int('BENCH_RENDER_ITEMS', 5), // ctx.items in the render scope
    },
    targets: {
      batchEventsPerSecond: 5000,
      singleRequestsPerSecond: 1000,
      singleP99Ms: 50,
      deliveryMessagesPerSecond: 300,
      adobeMessagesPerHour: 50_000,
      ingestPeakRssMb: 300,
      workerPeakRssMb: 400,
      renderMicros: 500,
    },
  };
}
