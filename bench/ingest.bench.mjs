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

export async function runIngestBench({ system, ingestProc, eventType, cfg, log }) {
  const { batchSize, batches, batchClients, singleSeconds, singleConnections, singleWarmup } = cfg.ingest;
  const rows = [];
  const details = { memory: { afterStart: await system.ingestMemory() } };

  // (a) batch
  const batchClient = createClient(system.baseUrl, system.ingestKey, batchClients);
  // One prepared body per client slot, so the client spends its CPU on sending, not on JSON.
  const bodies = Array.from({ length: batchClients }, (_, c) =>
    JSON.stringify({ events: Array.from({ length: batchSize }, (_, i) => benchEvent(eventType, i, `b${c}`)) }),
  );
  const warm = await batchClient.post('/v1/events/batch', bodies[0]);
  if (warm.status !== 202) throw new Error(`warm-up batch → ${warm.status}: ${JSON.stringify(warm.body).slice(0, 500)}`);
  log(`batch: ${batches} × ${batchSize} events, ${batchClients} clients (body ${(bodies[0].length / 1024).toFixed(0)} KiB)`);

  const batchLatencies = [];
  let accepted = 0;
  let rejected = 0;
  const failures = [];
  const batchProbe = startCpuProbe({ ingest: ingestProc.pid });
  const batchWallMs = await runLoops({
    clients: batchClients,
    jobs: batches,
    fn: async (i) => {
      const res = await batchClient.post('/v1/events/batch', bodies[i % bodies.length]);
      batchLatencies.push(res.latencyMs);
      if (res.status !== 202) failures.push(`${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
      else {
        accepted += res.body.accepted;
        rejected += res.body.rejected;
      }
    },
  });
  const batchCpu = batchProbe();
  await batchClient.close();
  log(`  ${formatCpu(batchCpu)}`);
  details.memory.afterBatch = await system.ingestMemory();
  const eventsPerSecond = accepted / (batchWallMs / 1000);
  details.batch = {
    requests: batches,
    eventsPerRequest: batchSize,
    clients: batchClients,
    accepted,
    rejected,
    failedRequests: failures.length,
    firstFailures: failures.slice(0, 3),
    wallSeconds: round(batchWallMs / 1000, 3),
    eventsPerSecond: round(eventsPerSecond, 0),
    latencyMs: summarize(batchLatencies),
    cpu: batchCpu,
    warmupEvents: warm.body.accepted,
  };
  const batchOk = failures.length === 0 && rejected === 0 && accepted === batches * batchSize;
  rows.push({
    section: 'ingest',
    name: `batch: events accepted/s (${batchClients} clients × ${batchSize}/req)`,
    value: round(eventsPerSecond, 0),
    unit: 'events/s',
    target: { op: '>=', value: cfg.targets.batchEventsPerSecond },
    extraCheck: batchOk ? undefined : `${failures.length} failed requests, ${rejected} rejected events`,
  });
  details.batch.ingestCpuMicrosPerEvent = round((batchCpu.coresUsed.ingest * batchCpu.seconds * 1e6) / Math.max(1, accepted), 1);
  rows.push({
    section: 'ingest',
    name: 'batch: ingest CPU per event',
    value: details.batch.ingestCpuMicrosPerEvent,
    unit: 'µs',
  });
  rows.push({
    section: 'ingest',
    name: 'batch: request latency p50 / p99',
    value: `${round(details.batch.latencyMs.p50, 1)} / ${round(details.batch.latencyMs.p99, 1)}`,
    unit: 'ms',
  });

  // (b) single
  const singleClient = createClient(system.baseUrl, system.ingestKey, singleConnections);
  const singleBodies = Array.from({ length: 64 }, (_, i) => JSON.stringify(benchEvent(eventType, i, 's')));
  const singleFailures = [];
  const post = async (i, latencies) => {
    const res = await singleClient.post('/v1/events', singleBodies[i % singleBodies.length]);
    if (res.status !== 202) singleFailures.push(`${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    else latencies?.push(res.latencyMs);
  };
  await runLoops({ clients: singleConnections, jobs: singleWarmup, fn: (i) => post(i) });
  const warmFailures = singleFailures.splice(0);
  if (warmFailures.length) throw new Error(`single warm-up failed: ${warmFailures[0]}`);
  log(`single: ${singleConnections} connections for ${singleSeconds} s (after ${singleWarmup} warm-up requests)`);

  const singleLatencies = [];
  const singleProbe = startCpuProbe({ ingest: ingestProc.pid });
  const singleWallMs = await runLoops({
    clients: singleConnections,
    untilMs: nowMs() + singleSeconds * 1000,
    fn: (i) => post(i, singleLatencies),
  });
  const singleCpu = singleProbe();
  await singleClient.close();
  log(`  ${formatCpu(singleCpu)}`);
  details.memory.afterSingle = await system.ingestMemory();
  const requestsPerSecond = singleLatencies.length / (singleWallMs / 1000);
  const lat = summarize(singleLatencies);
  details.single = {
    connections: singleConnections,
    seconds: round(singleWallMs / 1000, 3),
    accepted: singleLatencies.length,
    failedRequests: singleFailures.length,
    firstFailures: singleFailures.slice(0, 3),
    requestsPerSecond: round(requestsPerSecond, 0),
    latencyMs: lat,
    cpu: singleCpu,
    warmupRequests: singleWarmup,
  };
  const singleNote = singleFailures.length ? `${singleFailures.length} failed requests` : undefined;
  rows.push({
    section: 'ingest',
    name: `single: requests/s (${singleConnections} connections)`,
    value: round(requestsPerSecond, 0),
    unit: 'req/s',
    target: { op: '>=', value: cfg.targets.singleRequestsPerSecond },
    extraCheck: singleNote,
  });
  details.single.ingestCpuMicrosPerRequest = round((singleCpu.coresUsed.ingest * singleCpu.seconds * 1e6) / Math.max(1, singleLatencies.length), 1);
  rows.push({ section: 'ingest', name: 'single: ingest CPU per request', value: details.single.ingestCpuMicrosPerRequest, unit: 'µs' });
  rows.push({ section: 'ingest', name: 'single: latency p50', value: round(lat.p50, 1), unit: 'ms' });
  rows.push({
    section: 'ingest',
    name: 'single: latency p99',
    value: round(lat.p99, 1),
    unit: 'ms',
    target: { op: '<', value: cfg.targets.singleP99Ms },
  });
  return { rows, details };
}
