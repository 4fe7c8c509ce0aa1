// 1. Ingest throughput: POST /v1/events/batch (1000 events a request, several clients) and
//    POST /v1/events (many concurrent connections), against the ingest process alone.
import { createRequire } from 'node:module';
import { createClient, runLoops } from './lib/load.mjs';
import { formatCpu, startCpuProbe } from './lib/proc.mjs';
import { nowMs, round, summarize } from './lib/stats.mjs';

export function benchEvent(type, i, tag) {
  return {
    type,
    email: `${tag}-${i}@example.com`,
    externalId: `${tag}-${i}`,
    ctx: { name: `Customer ${i}`, items: [{ name: 'Cap' }, { name: 'Mug' }, { name: `Item ${i % 97}` }] },
  };
}

const require = createRequire(import.meta.url);
const { DELIVER_JOB, eventJobId } = require('../packages/contracts/dist/index.js');

const failureText = (res) => `${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`;

/** CPU time of `name` during a probe, per unit of work, in µs. */
const cpuMicrosPer = (cpu, name, units) => round((cpu.coresUsed[name] * cpu.seconds * 1e6) / Math.max(1, units), 1);

export async function runIngestBench({ system, ingestProc, eventType, cfg, log }) {
  const rows = [];
  const details = { memory: { afterStart: await system.ingestMemory() } };
  if (cfg.ingest.batches > 0) await batchRun({ system, ingestProc, eventType, cfg, log, rows, details });
  if (cfg.ingest.singleSeconds > 0) await singleRun({ system, ingestProc, eventType, cfg, log, rows, details });
  await ingestCeilings({ system, eventType, cfg, log, details });
  return { rows, details };
}

/** (a) 1000-event batches from a few concurrent clients. */
async function batchRun({ system, ingestProc, eventType, cfg, log, rows, details }) {
  const { batchSize, batches, batchClients } = cfg.ingest;
  const client = createClient(system.baseUrl, system.ingestKey, batchClients);
  // One prepared body per client slot, so the client spends its CPU on sending, not on JSON.
  const bodies = Array.from({ length: batchClients }, (_, c) =>
    JSON.stringify({ events: Array.from({ length: batchSize }, (_, i) => benchEvent(eventType, i, `b${c}`)) }),
  );
  const warm = await client.post('/v1/events/batch', bodies[0]);
  if (warm.status !== 202) throw new Error(`warm-up batch → ${failureText(warm)}`);
  log(`batch: ${batches} × ${batchSize} events, ${batchClients} clients (body ${(bodies[0].length / 1024).toFixed(0)} KiB)`);

  const latencies = [];
  const failures = [];
  let accepted = 0;
  let rejected = 0;
  const probe = startCpuProbe({ ingest: ingestProc.pid });
  const wallMs = await runLoops({
    clients: batchClients,
    jobs: batches,
    fn: async (i) => {
      const res = await client.post('/v1/events/batch', bodies[i % bodies.length]);
      latencies.push(res.latencyMs);
      if (res.status !== 202) {
        failures.push(failureText(res));
      } else {
        accepted += res.body.accepted;
        rejected += res.body.rejected;
      }
    },
  });
  const cpu = probe();
  await client.close();
  log(`  ${formatCpu(cpu)}`);
  details.memory.afterBatch = await system.ingestMemory();

  const eventsPerSecond = accepted / (wallMs / 1000);
  details.batch = {
    requests: batches,
    eventsPerRequest: batchSize,
    clients: batchClients,
    accepted,
    rejected,
    failedRequests: failures.length,
    firstFailures: failures.slice(0, 3),
    wallSeconds: round(wallMs / 1000, 3),
    eventsPerSecond: round(eventsPerSecond, 0),
    latencyMs: summarize(latencies),
    cpu,
    ingestCpuMicrosPerEvent: cpuMicrosPer(cpu, 'ingest', accepted),
    warmupEvents: warm.body.accepted,
  };
  const complete = failures.length === 0 && rejected === 0 && accepted === batches * batchSize;
  rows.push({
    section: 'ingest',
    name: `batch: events accepted/s (${batchClients} clients × ${batchSize}/req)`,
    value: round(eventsPerSecond, 0),
    unit: 'events/s',
    extraCheck: complete ? undefined : `${failures.length} failed requests, ${rejected} rejected events`,
  });
  rows.push({ section: 'ingest', name: 'batch: ingest CPU per event', value: details.batch.ingestCpuMicrosPerEvent, unit: 'µs' });
  rows.push({
    section: 'ingest',
    name: 'batch: request latency p50 / p99',
    value: `${round(details.batch.latencyMs.p50, 1)} / ${round(details.batch.latencyMs.p99, 1)}`,
    unit: 'ms',
  });
}

/**
 * Warm-up, then `singleSeconds` of POST /v1/events from `singleConnections` keep-alive
 * connections against `baseUrl`, with the CPU of `pid` probed: the same load for the ingest
 * and for its ceilings.
 */
async function singleLoad({ baseUrl, apiKey, pid, bodies, cfg }) {
  const { singleSeconds, singleConnections, singleWarmup } = cfg.ingest;
  const client = createClient(baseUrl, apiKey, singleConnections);
  const failures = [];
  const post = async (i, latencies) => {
    const res = await client.post('/v1/events', bodies[i % bodies.length]);
    if (res.status !== 202) failures.push(failureText(res));
    else latencies?.push(res.latencyMs);
  };
  try {
    await runLoops({ clients: singleConnections, jobs: singleWarmup, fn: (i) => post(i) });
    if (failures.length) throw new Error(`single warm-up against ${baseUrl} failed: ${failures[0]}`);
    const latencies = [];
    const probe = startCpuProbe({ server: pid });
    const wallMs = await runLoops({
      clients: singleConnections,
      untilMs: nowMs() + singleSeconds * 1000,
      fn: (i) => post(i, latencies),
    });
    const cpu = probe();
    return { latencies, failures, wallMs, cpu, requestsPerSecond: latencies.length / (wallMs / 1000) };
  } finally {
    await client.close();
  }
}

/** (b) single events from many keep-alive connections, for a fixed time. */
async function singleRun({ system, ingestProc, eventType, cfg, log, rows, details }) {
  const { singleSeconds, singleConnections, singleWarmup } = cfg.ingest;
  const bodies = singleBodies(eventType);
  log(`single: ${singleConnections} connections for ${singleSeconds} s (after ${singleWarmup} warm-up requests)`);
  const { latencies, failures, wallMs, cpu: probed, requestsPerSecond } = await singleLoad({
    baseUrl: system.baseUrl,
    apiKey: system.ingestKey,
    pid: ingestProc.pid,
    bodies,
    cfg,
  });
  const { server, ...others } = probed.coresUsed;
  const cpu = { ...probed, coresUsed: { ingest: server, ...others } };
  log(`  ${formatCpu(cpu)}`);
  details.memory.afterSingle = await system.ingestMemory();

  const lat = summarize(latencies);
  details.single = {
    connections: singleConnections,
    seconds: round(wallMs / 1000, 3),
    accepted: latencies.length,
    failedRequests: failures.length,
    firstFailures: failures.slice(0, 3),
    requestsPerSecond: round(requestsPerSecond, 0),
    latencyMs: lat,
    cpu,
    ingestCpuMicrosPerRequest: cpuMicrosPer(cpu, 'ingest', latencies.length),
    warmupRequests: singleWarmup,
  };
  rows.push({
    section: 'ingest',
    name: `single: requests/s (${singleConnections} connections)`,
    value: round(requestsPerSecond, 0),
    unit: 'req/s',
    extraCheck: failures.length ? `${failures.length} failed requests` : undefined,
  });
  rows.push({ section: 'ingest', name: 'single: ingest CPU per request', value: details.single.ingestCpuMicrosPerRequest, unit: 'µs' });
  rows.push({ section: 'ingest', name: 'single: latency p50 / p99', value: `${round(lat.p50, 1)} / ${round(lat.p99, 1)}`, unit: 'ms' });
}

const singleBodies = (eventType) => Array.from({ length: 64 }, (_, i) => JSON.stringify(benchEvent(eventType, i, 's')));

/**
 * The ceilings of section 1, measured right after the ingest with the same load:
 *  - single, no-op: a bare Fastify route (lib/ceiling-server.mjs) parsing the same body;
 *  - single, + add: the same route doing one raw BullMQ `add` of an ingest-shaped job;
 *  - batch: raw `addBulk` of the same jobs (batches × size, same concurrency) from here.
 */
async function ingestCeilings({ system, eventType, cfg, log, details }) {
  const ceilings = {};
  if (cfg.ingest.singleSeconds > 0) {
    for (const mode of ['noop', 'add']) {
      const server = await system.startCeilingServer(mode);
      try {
        const run = await singleLoad({ baseUrl: server.baseUrl, apiKey: 'none', pid: server.proc.pid, bodies: singleBodies(eventType), cfg });
        if (run.failures.length) throw new Error(`ceiling ${mode}: ${run.failures.length} failed requests, first: ${run.failures[0]}`);
        ceilings[mode === 'noop' ? 'singleNoopFastify' : 'singleFastifyAdd'] = {
          requestsPerSecond: round(run.requestsPerSecond, 0),
          latencyMs: summarize(run.latencies),
          cpu: run.cpu,
        };
        log(`ceiling single (${mode === 'noop' ? 'no-op Fastify route' : 'Fastify + one BullMQ add'}): ${round(run.requestsPerSecond, 0)} req/s; ${formatCpu(run.cpu)}`);
      } finally {
        await system.stopProcess(server.proc);
      }
    }
  }
  if (cfg.ingest.batches > 0) {
    const { Queue } = require('bullmq');
    const { Redis } = require('ioredis');
    const { batchSize, batches, batchClients } = cfg.ingest;
    const connection = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue('ceiling-batch', { connection, prefix: system.queuePrefix });
    let serial = 0;
    const jobsOf = (c) =>
      Array.from({ length: batchSize }, (_, i) => {
        const id = `c${++serial}`;
        const job = { v: 1, id, lane: 'batch', acceptedAt: new Date().toISOString(), channel: 'email', event: benchEvent(eventType, i, `b${c}`) };
        return { name: DELIVER_JOB, data: job, opts: { jobId: eventJobId(id), delay: 0, attempts: 25, backoff: { type: 'jittered' } } };
      });
    try {
      await queue.addBulk(jobsOf(0)); // warm-up, as the ingest run has one
      // The jobs are built inside the timed loop, as the ingest builds them per request.
      const wallMs = await runLoops({ clients: batchClients, jobs: batches, fn: (i) => queue.addBulk(jobsOf(i % batchClients)) });
      ceilings.batchAddBulk = { eventsPerSecond: round((batches * batchSize) / (wallMs / 1000), 0), wallSeconds: round(wallMs / 1000, 3) };
      log(`ceiling batch (raw addBulk, ${batchClients} × ${batchSize}): ${ceilings.batchAddBulk.eventsPerSecond} events/s`);
    } finally {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      connection.disconnect();
    }
  }
  details.ceilings = ceilings;
}
