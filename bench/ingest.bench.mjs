// 1. Ingest throughput: POST /v1/events/batch (1000 events a request, several clients) and
//    POST /v1/events (many concurrent connections), against the ingest process alone.
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

const failureText = (res) => `${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`;

/** CPU time of `name` during a probe, per unit of work, in µs. */
const cpuMicrosPer = (cpu, name, units) => round((cpu.coresUsed[name] * cpu.seconds * 1e6) / Math.max(1, units), 1);

export async function runIngestBench({ system, ingestProc, eventType, cfg, log }) {
  const rows = [];
  const details = { memory: { afterStart: await system.ingestMemory() } };
  if (cfg.ingest.batches > 0) await batchRun({ system, ingestProc, eventType, cfg, log, rows, details });
  if (cfg.ingest.singleSeconds > 0) await singleRun({ system, ingestProc, eventType, cfg, log, rows, details });
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
    target: { op: '>=', value: cfg.targets.batchEventsPerSecond },
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

/** (b) single events from many keep-alive connections, for a fixed time. */
async function singleRun({ system, ingestProc, eventType, cfg, log, rows, details }) {
  const { singleSeconds, singleConnections, singleWarmup } = cfg.ingest;
  const client = createClient(system.baseUrl, system.ingestKey, singleConnections);
  const bodies = Array.from({ length: 64 }, (_, i) => JSON.stringify(benchEvent(eventType, i, 's')));
  const failures = [];
  const post = async (i, latencies) => {
    const res = await client.post('/v1/events', bodies[i % bodies.length]);
    if (res.status !== 202) failures.push(failureText(res));
    else latencies?.push(res.latencyMs);
  };
  await runLoops({ clients: singleConnections, jobs: singleWarmup, fn: (i) => post(i) });
  if (failures.length) throw new Error(`single warm-up failed: ${failures[0]}`);
  log(`single: ${singleConnections} connections for ${singleSeconds} s (after ${singleWarmup} warm-up requests)`);

  const latencies = [];
  const probe = startCpuProbe({ ingest: ingestProc.pid });
  const wallMs = await runLoops({
    clients: singleConnections,
    untilMs: nowMs() + singleSeconds * 1000,
    fn: (i) => post(i, latencies),
  });
  const cpu = probe();
  await client.close();
  log(`  ${formatCpu(cpu)}`);
  details.memory.afterSingle = await system.ingestMemory();

  const requestsPerSecond = latencies.length / (wallMs / 1000);
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
    target: { op: '>=', value: cfg.targets.singleRequestsPerSecond },
    extraCheck: failures.length ? `${failures.length} failed requests` : undefined,
  });
  rows.push({ section: 'ingest', name: 'single: ingest CPU per request', value: details.single.ingestCpuMicrosPerRequest, unit: 'µs' });
  rows.push({ section: 'ingest', name: 'single: latency p50', value: round(lat.p50, 1), unit: 'ms' });
  rows.push({
    section: 'ingest',
    name: 'single: latency p99',
    value: round(lat.p99, 1),
    unit: 'ms',
    target: { op: '<', value: cfg.targets.singleP99Ms },
  });
}
