// 2. Delivery end to end: N events through POST /v1/events/batch, one worker process,
//    an SMTP sink in this process; messages/s from the first request to the last message
//    received, then every event checked `sent` in Postgres.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchEvent } from './ingest.bench.mjs';
import { createClient } from './lib/load.mjs';
import { formatCpu, memoryOf, startCpuProbe } from './lib/proc.mjs';
import { nowMs, round, sleep, summarize } from './lib/stats.mjs';
import { ROOT } from './lib/system.mjs';

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

/** How many SMTP connections the worker's pool opens: createSmtpProvider's default, which the worker keeps. */
export function workerSmtpPoolSize() {
  const source = readFileSync(path.join(ROOT, 'packages/channels/dist/smtp.provider.js'), 'utf8');
  const match = /maxConnections:\s*options\.maxConnections\s*\?\?\s*(\d+)/.exec(source);
  if (!match) throw new Error('cannot find the SMTP pool size in packages/channels/dist/smtp.provider.js');
  return Number(match[1]);
}

/**
 * End-to-end latency at a steady rate: single events (`POST /v1/events`, open loop: one every
 * 1000/rate ms whatever the answers do) to the running worker; per event, the time from its
 * 202 (the event is in Redis) to its message at the SMTP sink.
 */
export async function runLatencyBench({ system, sink, eventType, cfg, log }) {
  const { rate, seconds } = cfg.latency;
  const n = Math.max(1, Math.round(rate * seconds));
  const client = createClient(system.baseUrl, system.ingestKey, 64);
  const sentAt = new Array(n);
  const acceptedAt = new Array(n);
  const failures = [];
  const emailOf = (i) => `lat-${i}@example.com`;
  const bodies = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ ...benchEvent(eventType, i, 'lat'), email: emailOf(i) }),
  );
  log(`latency: ${n} single events at ${rate}/s`);
  const t0 = nowMs();
  const inFlight = [];
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - nowMs();
    if (wait > 1) await sleep(wait);
    sentAt[i] = nowMs();
    inFlight.push(
      client.post('/v1/events', bodies[i]).then((res) => {
        if (res.status === 202) acceptedAt[i] = nowMs();
        else failures.push(`${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`);
      }),
    );
  }
  const sendSeconds = (nowMs() - t0) / 1000;
  await Promise.all(inFlight);
  await client.close();
  const deadline = Date.now() + cfg.delivery.timeoutSeconds * 1000;
  const arrived = () => bodies.reduce((a, _, i) => a + (sink.arrivalByRecipient.has(emailOf(i)) ? 1 : 0), 0);
  while (arrived() < n - failures.length && Date.now() < deadline) await sleep(20);
  const latencies = [];
  const fromSend = [];
  for (let i = 0; i < n; i++) {
    const at = sink.arrivalByRecipient.get(emailOf(i));
    if (at === undefined || acceptedAt[i] === undefined) continue;
    latencies.push(at - acceptedAt[i]);
    fromSend.push(at - sentAt[i]);
  }
  const details = {
    rate,
    events: n,
    achievedRate: round(n / sendSeconds, 1),
    failedRequests: failures.length,
    firstFailures: failures.slice(0, 3),
    delivered: latencies.length,
    latencyMs: summarize(latencies),
    latencyFromSendMs: summarize(fromSend),
  };
  log(`  latency accepted → sink: p50 ${details.latencyMs.p50} ms, p99 ${details.latencyMs.p99} ms (${latencies.length}/${n} delivered, sent at ${details.achievedRate}/s)`);
  if (latencies.length < n) throw new Error(`latency run: only ${latencies.length} of ${n} events reached the sink (${failures.length} failed requests)`);
  return details;
}

/** Sent events in the schema, on one connection polled until `target` (or the timeout). */
async function waitForSent(databaseUrl, schema, target, timeoutSeconds) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM "${schema}".events WHERE status = 'sent'`);
      if (rows[0].n >= target || Date.now() > deadline) return { sent: rows[0].n, at: nowMs() };
      await sleep(25);
    }
  } finally {
    await client.end();
  }
}

/**
 * Delivery with no network send: a worker whose email provider is the dev outbox (chosen by
 * configuration: SMTP_URL unset, OUTBOX_DIR a temporary directory), so the full worker path —
 * job, lookups, render, state in Postgres — runs and the message is written to a file. N events
 * through the batch endpoint; messages/s from the first 202 to the N-th `sent` row.
 */
export async function runNoopDeliveryBench({ system, eventType, queueNames, cfg, log }) {
  const n = cfg.delivery.events;
  const outboxDir = mkdtempSync(path.join(os.tmpdir(), 'mc-bench-outbox-'));
  const concurrency = String(cfg.delivery.concurrency);
  const worker = await system.startWorker(
    { WORKER_CONCURRENCY_BATCH: concurrency, WORKER_CONCURRENCY_REALTIME: concurrency, SMTP_URL: '', OUTBOX_DIR: outboxDir },
    queueNames,
    'worker-outbox',
  );
  try {
    const before = await waitForSent(cfg.databaseUrl, system.db.schema, 0, 0);
    const client = createClient(system.baseUrl, system.ingestKey, 1);
    log(`no-op delivery: ${n} events to a worker with the outbox provider (${outboxDir})`);
    const ingestProc = system.children.find((c) => c.name === 'ingest');
    const probe = startCpuProbe({ ingest: ingestProc.pid, worker: worker.pid });
    let firstAccept;
    for (let from = 0; from < n; from += cfg.ingest.batchSize) {
      const size = Math.min(cfg.ingest.batchSize, n - from);
      const body = JSON.stringify({ events: Array.from({ length: size }, (_, i) => benchEvent(eventType, from + i, 'noop')) });
      const res = await client.post('/v1/events/batch', body);
      if (res.status !== 202 || res.body.accepted !== size) throw new Error(`batch push → ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
      firstAccept ??= nowMs();
    }
    await client.close();
    const done = await waitForSent(cfg.databaseUrl, system.db.schema, before.sent + n, cfg.delivery.timeoutSeconds);
    const cpu = probe();
    log(`  ${formatCpu(cpu)}`);
    const delivered = done.sent - before.sent;
    if (delivered < n) throw new Error(`no-op delivery: only ${delivered} of ${n} events sent within ${cfg.delivery.timeoutSeconds} s`);
    const seconds = (done.at - firstAccept) / 1000;
    return {
      events: n,
      seconds: round(seconds, 3),
      messagesPerSecond: round(n / seconds, 1),
      workerCpuMsPerMessage: round((cpu.coresUsed.worker * cpu.seconds * 1000) / n, 2),
      cpu,
      workerMemory: memoryOf(worker.pid),
    };
  } finally {
    await system.stopProcess(worker);
    rmSync(outboxDir, { recursive: true, force: true });
  }
}

/**
 * Runs a delivery ceiling or the contract floor (lib/delivery-ceilings.mjs) as a process of its
 * own, as the worker runs. With `sink`, checks that every message arrived there.
 */
export async function runDeliveryCeiling(kind, args, { sink } = {}) {
  sink?.reset();
  const script = path.join(ROOT, 'bench/lib/delivery-ceilings.mjs');
  const child = spawn(process.execPath, [script, kind, JSON.stringify({ ...args, ...(sink ? { sinkUrl: sink.url } : {}) })], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`delivery ceiling "${kind}" exited with ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
  const result = JSON.parse(stdout.trim().split('\n').pop());
  if (sink && sink.count < args.n) throw new Error(`delivery ceiling "${kind}": ${sink.count} of ${args.n} messages at the sink`);
  return result;
}
