// 2. Delivery end to end: N events through POST /v1/events/batch, one worker process,
//    an SMTP sink in this process; messages/s from the first request to the last message
//    received, then every event checked `sent` in Postgres.
import { createRequire } from 'node:module';
import { benchEvent } from './ingest.bench.mjs';
import { createClient } from './lib/load.mjs';
import { formatCpu, memoryOf, startCpuProbe } from './lib/proc.mjs';
import { nowMs, round, sleep } from './lib/stats.mjs';

const require = createRequire(import.meta.url);
const pg = require('pg');

export const BENCH_MJML =
  '<mjml><mj-body><mj-section><mj-column><mj-text>Hello {{ ctx.name }}, {% for i in ctx.items %}{{ i.name }} {% endfor %}</mj-text></mj-column></mj-section></mj-body></mjml>';
export const BENCH_SUBJECT = 'Hi {{ ctx.name }}';

async function statusCounts(databaseUrl, schema) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const q = (sql) => client.query(sql).then((r) => Object.fromEntries(r.rows.map((row) => [row.status, row.n])));
    return {
      events: await q(`SELECT status::text AS status, count(*)::int AS n FROM "${schema}".events GROUP BY 1`),
      deliveries: await q(`SELECT status::text AS status, count(*)::int AS n FROM "${schema}".deliveries GROUP BY 1`),
    };
  } finally {
    await client.end();
  }
}

export async function runDeliveryBench({ system, sink, eventType, queueNames, cfg, log }) {
  const n = cfg.delivery.events;
  const { batchSize } = cfg.ingest;
  const rows = [];

  const template = await system.expectStatus('POST', '/v1/templates', {
    eventType,
    channel: 'email',
    name: 'Bench email',
    content: { subject: BENCH_SUBJECT, mjml: BENCH_MJML },
  }, 201);
  const published = await system.expectStatus('POST', `/v1/templates/${template.id}/publish`, undefined, 201);
  log(`template ${template.id} published as version ${published.version}`);

  const concurrency = String(cfg.delivery.concurrency);
  const worker = await system.startWorker(
    { WORKER_CONCURRENCY_BATCH: concurrency, WORKER_CONCURRENCY_REALTIME: concurrency },
    queueNames,
  );
  sink.reset();
  const workerIdleMemory = memoryOf(worker.pid);

  const bodies = [];
  for (let from = 0; from < n; from += batchSize) {
    const size = Math.min(batchSize, n - from);
    bodies.push(JSON.stringify({ events: Array.from({ length: size }, (_, i) => benchEvent(eventType, from + i, 'd')) }));
  }
  const client = createClient(system.baseUrl, system.ingestKey, 1);
  log(`pushing ${n} events in ${bodies.length} batch request(s); worker concurrency ${concurrency} per lane`);

  const ingestProc = system.children.find((c) => c.name === 'ingest');
  const probe = startCpuProbe({ ingest: ingestProc.pid, worker: worker.pid });
  const t0 = nowMs();
  let firstAccept;
  let accepted = 0;
  for (const body of bodies) {
    const res = await client.post('/v1/events/batch', body);
    if (res.status !== 202) throw new Error(`batch push → ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
    firstAccept ??= nowMs();
    accepted += res.body.accepted;
  }
  const allAccepted = nowMs();
  await client.close();
  if (accepted !== n) throw new Error(`only ${accepted} of ${n} events were accepted`);

  const deadline = Date.now() + cfg.delivery.timeoutSeconds * 1000;
  let timedOut;
  let lastLog = Date.now();
  while (sink.count < n) {
    if (worker.exited) throw new Error(`the worker exited during the run: ${worker.output.join('').slice(-3000)}`);
    if (Date.now() > deadline) {
      timedOut = `only ${sink.count} of ${n} messages reached the sink within ${cfg.delivery.timeoutSeconds} s`;
      break;
    }
    if (Date.now() - lastLog >= 3000) {
      lastLog = Date.now();
      log(`  … ${sink.count}/${n} messages at the sink (${((nowMs() - t0) / 1000).toFixed(1)} s)`);
    }
    await sleep(20);
  }
  const received = sink.count;
  const tLast = sink.arrivals[Math.min(n, received) - 1] ?? nowMs();

  // The worker records `sent` after the relay accepted the message: wait for the rows.
  let counts = await statusCounts(cfg.databaseUrl, system.db.schema);
  const settleDeadline = Date.now() + 30_000;
  while (!timedOut && (counts.events.sent ?? 0) < n && Date.now() < settleDeadline) {
    await sleep(100);
    counts = await statusCounts(cfg.databaseUrl, system.db.schema);
  }
  const tSettled = nowMs();
  const cpu = probe();
  log(`  ${formatCpu(cpu)}`);

  // From the first 202 (the first 1000 events are in Redis) to the N-th message at the sink.
  const seconds = (tLast - firstAccept) / 1000;
  const messagesPerSecond = Math.min(n, received) / seconds;
  const at = (fraction) => sink.arrivals[Math.max(0, Math.floor(fraction * received) - 1)];
  const steady = received >= 20 ? (0.8 * received) / ((at(0.9) - at(0.1)) / 1000) : NaN;
  const adobePerSecond = cfg.targets.adobeMessagesPerHour / 3600;
  const sent = counts.events.sent ?? 0;

  const details = {
    events: n,
    workerConcurrencyPerLane: cfg.delivery.concurrency,
    batchRequests: bodies.length,
    accepted,
    received,
    duplicatesAtSink: sink.duplicates,
    bytesAtSink: sink.bytes,
    timedOut,
    secondsToFirstAccept: round((firstAccept - t0) / 1000, 3),
    secondsToAllAccepted: round((allAccepted - t0) / 1000, 3),
    secondsToFirstMessage: received ? round((sink.arrivals[0] - t0) / 1000, 3) : null, // all "secondsTo…" from sending the first batch
    secondsToLastMessage: round((tLast - t0) / 1000, 3),
    secondsFirstAcceptToLastMessage: round(seconds, 3),
    messagesPerSecondFromFirstRequest: round(Math.min(n, received) / ((tLast - t0) / 1000), 1),
    secondsToAllSentInDb: round((tSettled - t0) / 1000, 3),
    messagesPerSecond: round(messagesPerSecond, 1),
    steadyMessagesPerSecond10to90: round(steady, 1),
    adobeMessagesPerSecond: round(adobePerSecond, 2),
    ratioToAdobe: round(messagesPerSecond / adobePerSecond, 1),
    statusCounts: counts,
    cpu,
  };

  rows.push({
    section: 'delivery',
    name: `end to end: messages/s (1 worker, ${n} events)`,
    value: round(messagesPerSecond, 1),
    unit: 'msg/s',
    target: { op: '>=', value: cfg.targets.deliveryMessagesPerSecond },
    extraCheck: timedOut,
  });
  // CPU time per message is less sensitive to what else runs on the machine than the rate.
  const workerCpuMs = (cpu.coresUsed.worker * cpu.seconds * 1000) / Math.max(1, received);
  details.workerCpuMsPerMessage = round(workerCpuMs, 2);
  details.postgresCpuMsPerMessage = round((cpu.coresUsed.postgres * cpu.seconds * 1000) / Math.max(1, received), 2);
  rows.push({
    section: 'delivery',
    name: `worker CPU per message (→ ≤ ${Math.round(1000 / workerCpuMs)} msg/s per busy core)`,
    value: round(workerCpuMs, 2),
    unit: 'ms',
  });
  rows.push({
    section: 'delivery',
    name: 'steady rate (10%→90% of messages)',
    value: round(steady, 1),
    unit: 'msg/s',
  });
  rows.push({
    section: 'delivery',
    name: `vs Adobe 50,000/h (${adobePerSecond.toFixed(1)}/s per execution server)`,
    value: `${round(messagesPerSecond / adobePerSecond, 1)}×`,
    unit: '',
  });
  rows.push({
    section: 'delivery',
    name: 'events `sent` in Postgres (= events pushed)',
    value: sent,
    unit: '',
    target: { op: '>=', value: n },
    targetText: `= ${n.toLocaleString('en-US')}`,
    extraCheck:
      Object.keys(counts.events).some((s) => s !== 'sent') ? `other statuses: ${JSON.stringify(counts.events)}` : undefined,
  });
  rows.push({
    section: 'delivery',
    name: 'duplicate messages at the sink',
    value: sink.duplicates,
    unit: '',
    target: { op: '<=', value: 0 },
  });
  return { rows, details, worker, workerIdleMemory };
}
