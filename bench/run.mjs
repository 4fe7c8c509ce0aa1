#!/usr/bin/env node
// `npm run bench`: speed and memory targets of Message Center, measured against the real
// Postgres and Redis with the built services as processes. Prints a report, writes it to
// bench/results/latest.json, exits 0 (or 1 with --strict when a target is missed).
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig } from './lib/config.mjs';
import { createSystem, ROOT } from './lib/system.mjs';
import { startSmtpSink } from './lib/smtp-sink.mjs';
import { memoryOf } from './lib/proc.mjs';
import { summarizeProfile } from './lib/profile-summary.mjs';
import { fmt, round } from './lib/stats.mjs';
import { runIngestBench } from './ingest.bench.mjs';
import { runDeliveryBench, runDeliveryCeiling, runLatencyBench, runNoopDeliveryBench, workerSmtpPoolSize } from './delivery.bench.mjs';
import { buildRatios, checkSmoke, ratioRows } from './lib/ratios.mjs';
import { runRenderBench } from './render.bench.mjs';

const require = createRequire(import.meta.url);
const cfg = readConfig();
const startedAt = new Date();
const t0 = performance.now();
const log = (message) => process.stdout.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${message}\n`);

const EVENT_TYPE = 'BENCH_ORDER';
const QUEUE_NAMES = ['events-realtime', 'events-batch'];

const rows = [];
const details = {};
const errors = [];
let system;
let sink;

async function cleanup() {
  await system?.cleanup();
  await sink?.close();
  sink = undefined;
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}

async function section(name, fn) {
  if (interrupted) return;
  try {
    await fn();
  } catch (error) {
    if (interrupted) return; // the processes are being stopped under it
    log(`✗ ${name} failed: ${error.stack ?? error}`);
    errors.push({ section: name, error: String(error.message ?? error) });
    rows.push({ section: name, name: `${name} benchmark`, value: 'error', unit: '', error: String(error.message ?? error).split('\n')[0] });
  }
}

/** Empties both queues (the ingest run leaves its events waiting) so the delivery run starts clean. */
async function drainQueues() {
  const { Queue } = require('bullmq');
  const { Redis } = require('ioredis');
  const connection = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null });
  try {
    const waiting = {};
    for (const name of QUEUE_NAMES) {
      const queue = new Queue(name, { connection, prefix: system.queuePrefix });
      waiting[name] = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
      await queue.obliterate({ force: true });
      await queue.close();
    }
    return waiting;
  } finally {
    connection.disconnect();
  }
}

function judge(row) {
  if (row.error) return 'ERROR';
  if (row.pass !== undefined) return row.pass ? 'PASS' : 'FAIL';
  if (row.extraCheck && !row.target) return 'FAIL';
  if (!row.target) return 'info';
  const v = Number(row.value);
  const t = row.target.value;
  const ok = { '>=': v >= t, '<': v < t, '<=': v <= t }[row.target.op];
  return ok && !row.extraCheck ? 'PASS' : 'FAIL';
}

function printTable(table) {
  const headers = ['', 'benchmark', 'result', 'target', 'status'];
  const body = table.map((r) => [
    r.section,
    r.name,
    `${typeof r.value === 'number' ? fmt(r.value, Number.isInteger(r.value) ? 0 : 1) : r.value} ${r.unit}`.trim(),
    r.targetText ?? (r.target ? `${r.target.op} ${fmt(r.target.value)} ${r.unit}`.trim() : ''),
    r.status,
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log('\n' + line(headers));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  let last;
  for (let i = 0; i < body.length; i++) {
    if (last && table[i].section !== last) console.log('');
    last = table[i].section;
    console.log(line(body[i]));
  }
  for (const r of table) if (r.extraCheck || r.error) console.log(`  ! ${r.name}: ${r.extraCheck ?? r.error}`);
}

async function main() {
  log(`Message Center bench — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  log(`sections: ${cfg.only.join(', ')}${cfg.strict ? ' (strict)' : ''}${cfg.smoke ? ' (smoke: short run, targets not judged)' : ''}`);
  const load = os.loadavg();
  details.loadAverageAtStart = load.map((l) => round(l, 2));
  if (load[0] > os.cpus().length * 0.5) {
    log(`⚠ the machine is already busy (load average ${load[0].toFixed(2)} on ${os.cpus().length} cores): figures will be low; see "other" in the cpu lines`);
  }
  const profileDir = process.env.BENCH_PROFILE === '1' ? path.join(ROOT, 'bench/results/profiles') : undefined;
  if (profileDir) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
    log(`BENCH_PROFILE=1: CPU profiles of the services go to ${path.relative(process.cwd(), profileDir)}/`);
  }
  const wantSystem = cfg.only.includes('ingest') || cfg.only.includes('delivery');

  if (wantSystem) {
    try {
      sink = await startSmtpSink();
      system = await createSystem({ databaseUrl: cfg.databaseUrl, redisUrl: cfg.redisUrl, smtpUrl: sink.url, profileDir, log });
      log(`schema ${system.db.schema}, queue prefix ${system.queuePrefix}, SMTP sink :${sink.port}`);
      const ingestProc = await system.startIngest();
      details.memoryAtStart = { ingest: memoryOf(ingestProc.pid) };
      await system.expectStatus('POST', '/v1/event-types', { key: EVENT_TYPE, label: 'Bench order' }, 201);
      log(`ingest ready on ${system.baseUrl}; event type ${EVENT_TYPE} created`);

      if (cfg.only.includes('ingest')) {
        await section('ingest', async () => {
          log('── 1. ingest throughput');
          const result = await runIngestBench({ system, ingestProc, eventType: EVENT_TYPE, cfg, log });
          rows.push(...result.rows);
          details.ingest = result.details;
          details.ingest.memoryAfterIngest = memoryOf(ingestProc.pid);
        });
        // The ingest run leaves its events waiting; the delivery run must not inherit them.
        if (interrupted) return;
        const queued = await drainQueues();
        if (details.ingest) {
          details.ingest.queuedAfterRun = queued;
          // A 202 means the event is in Redis: every accepted event must be a waiting job.
          const { batch, single } = details.ingest;
          const expected = (batch ? batch.warmupEvents + batch.accepted : 0) + (single ? single.warmupRequests + single.accepted : 0);
          const stored = Object.values(queued).reduce((a, c) => a + Object.values(c).reduce((x, y) => x + y, 0), 0);
          rows.push({
            section: 'ingest',
            name: 'jobs in Redis after the run (= events accepted)',
            value: stored,
            unit: '',
            target: { op: '>=', value: expected },
            targetText: `= ${fmt(expected)}`,
            extraCheck: stored > expected ? `${stored - expected} more jobs than accepted events` : undefined,
          });
        }
        log(`queues emptied before the delivery run (jobs the ingest run stored): ${JSON.stringify(queued)}`);
      }

      let workerProc;
      if (cfg.only.includes('delivery')) {
        await section('delivery', async () => {
          log('── 2. delivery throughput (end to end)');
          const result = await runDeliveryBench({ system, sink, eventType: EVENT_TYPE, queueNames: QUEUE_NAMES, cfg, log });
          rows.push(...result.rows);
          details.delivery = result.details;
          workerProc = result.worker;
          details.memoryAtStart.worker = result.workerIdleMemory;
        });
        await section('latency', async () => {
          log('── 2b. end-to-end latency at a steady rate');
          details.latency = await runLatencyBench({ system, sink, eventType: EVENT_TYPE, cfg, log });
          const lat = details.latency.latencyMs;
          rows.push({ section: 'delivery', name: `latency accepted → sink at ${cfg.latency.rate}/s: p50 / p99`, value: `${round(lat.p50, 1)} / ${round(lat.p99, 1)}`, unit: 'ms' });
        });
        // The SMTP worker's memory, read before it stops for the no-op run (found by name when
        // the delivery run failed after starting it).
        workerProc ??= system.children.find((c) => c.name === 'worker');
        if (workerProc) details.workerMemoryAfterDelivery = memoryOf(workerProc.pid);
        await section('delivery-noop', async () => {
          log('── 2c. delivery with no network send (outbox provider), and the delivery ceilings');
          if (workerProc) await system.stopProcess(workerProc);
          details.deliveryNoop = await runNoopDeliveryBench({ system, eventType: EVENT_TYPE, queueNames: QUEUE_NAMES, cfg, log });
          rows.push({ section: 'delivery', name: `no-op provider (outbox): messages/s (${cfg.delivery.events} events)`, value: details.deliveryNoop.messagesPerSecond, unit: 'msg/s' });
          const d = details.delivery;
          const messageBytes = d?.received ? Math.round(d.bytesAtSink / d.received) : 1500;
          const n = cfg.delivery.events;
          const concurrency = cfg.delivery.concurrency;
          details.deliveryCeilings = {
            smtp: await runDeliveryCeiling('smtp', { n, messageBytes, concurrency, poolSize: workerSmtpPoolSize() }, { sink }),
            bullmq: await runDeliveryCeiling('bullmq', { redisUrl: cfg.redisUrl, prefix: system.queuePrefix, n, batchSize: cfg.ingest.batchSize, concurrency }),
          };
          log(`ceiling SMTP (raw nodemailer pool of ${details.deliveryCeilings.smtp.poolSize}, ${concurrency} in flight, ${messageBytes} B): ${details.deliveryCeilings.smtp.messagesPerSecond} msg/s`);
          log(`ceiling no-op (raw BullMQ add + empty process, concurrency ${concurrency}): ${details.deliveryCeilings.bullmq.jobsPerSecond} jobs/s`);
          // What the delivery contract's own writes leave of each ceiling (see contractFloor).
          const floor = { databaseUrl: system.db.url, redisUrl: cfg.redisUrl, prefix: system.queuePrefix, eventType: EVENT_TYPE, n, batchSize: cfg.ingest.batchSize, concurrency, messageBytes, poolSize: workerSmtpPoolSize() };
          details.contractFloor = { noop: await runDeliveryCeiling('floor', floor), smtp: await runDeliveryCeiling('floor', floor, { sink }) };
          const { noop, smtp } = details.contractFloor;
          const ofCeiling = (value, ceiling) => `${round(value / ceiling, 2)}× of the ceiling`;
          log(`contract floor, no send (raw BullMQ + begin, settle, send-once record): ${noop.jobsPerSecond} msg/s, ${ofCeiling(noop.jobsPerSecond, details.deliveryCeilings.bullmq.jobsPerSecond)}, ${noop.cpuMsPerMessage} ms CPU per message`);
          log(`contract floor, SMTP (the same + a raw nodemailer send): ${smtp.jobsPerSecond} msg/s, ${ofCeiling(smtp.jobsPerSecond, details.deliveryCeilings.smtp.messagesPerSecond)}, ${smtp.cpuMsPerMessage} ms CPU per message`);
          rows.push({ section: 'delivery', name: 'contract floor, no send: raw BullMQ + begin/settle/send-once writes', value: noop.jobsPerSecond, unit: 'msg/s' });
          rows.push({ section: 'delivery', name: 'contract floor, SMTP: the same + a raw nodemailer send', value: smtp.jobsPerSecond, unit: 'msg/s' });
          // The floor process's own CPU per message: at a target rate, what the contract alone needs of the cores.
          rows.push({ section: 'delivery', name: 'contract floor CPU per message: no send / SMTP (its own process)', value: `${noop.cpuMsPerMessage.toFixed(2)} / ${smtp.cpuMsPerMessage.toFixed(2)}`, unit: 'ms' });
          // How much of what the contract leaves the worker uses: the part that is ours.
          const ofFloor = (value, floorRate) => (value ? (value / floorRate).toFixed(2) : 'n/a');
          rows.push({ section: 'delivery', name: 'SMTP worker vs the contract floor (SMTP)', value: ofFloor(details.delivery?.messagesPerSecond, smtp.jobsPerSecond), unit: '×' });
          rows.push({ section: 'delivery', name: 'no-op worker vs the contract floor (no send)', value: ofFloor(details.deliveryNoop?.messagesPerSecond, noop.jobsPerSecond), unit: '×' });
        });
      }

      log('── 3. memory');
      const idle = details.memoryAtStart;
      if (idle.ingest) rows.push({ section: 'memory', name: 'ingest RSS when ready (idle)', value: round(idle.ingest.rssMb, 1), unit: 'MB' });
      if (idle.worker) rows.push({ section: 'memory', name: 'worker RSS when attached (idle)', value: round(idle.worker.rssMb, 1), unit: 'MB' });
      const ingestMem = memoryOf(ingestProc.pid);
      details.memory = { ingest: { ...ingestMem, selfReported: await system.ingestMemory().catch(() => undefined) } };
      if (ingestMem) {
        rows.push({ section: 'memory', name: 'ingest RSS now', value: round(ingestMem.rssMb, 1), unit: 'MB' });
        rows.push({
          section: 'memory',
          name: 'ingest peak RSS (VmHWM)',
          value: round(ingestMem.peakRssMb, 1),
          unit: 'MB',
        });
      }
      workerProc ??= system.children.find((c) => c.name === 'worker');
      const workerMem = (workerProc && memoryOf(workerProc.pid)) ?? details.workerMemoryAfterDelivery;
      if (workerMem) {
        details.memory.worker = workerMem;
        rows.push({ section: 'memory', name: 'worker RSS now', value: round(workerMem.rssMb, 1), unit: 'MB' });
        rows.push({
          section: 'memory',
          name: 'worker peak RSS (VmHWM)',
          value: round(workerMem.peakRssMb, 1),
          unit: 'MB',
        });
      }
    } catch (error) {
      if (interrupted) return;
      log(`✗ system set-up failed: ${error.stack ?? error}`);
      errors.push({ section: 'setup', error: String(error.message ?? error) });
      rows.push({ section: 'setup', name: 'system set-up', value: 'error', unit: '', error: String(error.message ?? error).split('\n')[0] });
    } finally {
      await cleanup();
      if (system) {
        details.processes = Object.fromEntries(
          system.children.map((p) => [p.name, { stop: p.stop ?? p.exit, outputTail: p.output.join('').split('\n').slice(-20).join('\n') }]),
        );
      }
    }
    if (profileDir) {
      details.profiles = {};
      for (const name of ['ingest', 'worker']) {
        const file = path.join(profileDir, `${name}.cpuprofile`);
        if (!existsSync(file)) continue;
        const summary = summarizeProfile(file);
        details.profiles[name] = summary;
        log(`profile ${name}: ${summary.busyMs} ms on CPU of ${summary.wallMs} ms — by package: ` +
          summary.byPackage.slice(0, 8).map((c) => `${c.name} ${c.share}%`).join(', '));
      }
    }
  }

  if (cfg.only.includes('render')) {
    await section('render', async () => {
      log('── 4. render microbenchmarks (in-process)');
      const result = await runRenderBench({ cfg, log });
      rows.push(...result.rows);
      details.render = result.details;
    });
  }

  // How much CPU other processes (builds, tests) took while we measured: context for the figures.
  const probes = [details.ingest?.batch?.cpu, details.ingest?.single?.cpu, details.delivery?.cpu].filter(Boolean);
  if (probes.length) {
    const seconds = probes.reduce((a, p) => a + p.seconds, 0);
    const other = probes.reduce((a, p) => a + (p.coresUsed.other ?? 0) * p.seconds, 0) / seconds;
    details.backgroundLoadCores = round(other, 2);
    rows.push({ section: 'machine', name: 'CPU used by other processes while measuring', value: round(other, 2), unit: `cores of ${os.cpus().length}` });
  }
  const { ratios, limits } = buildRatios({ details, cfg });
  rows.push(...ratioRows({ ratios, limits, cfg }));
  for (const r of rows) r.status = judge(r);
  printTable(rows);
  const failed = rows.filter((r) => r.status === 'FAIL' || r.status === 'ERROR');
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `\n${rows.filter((r) => r.status === 'PASS').length} passed, ${failed.length} failed/errored, in ${seconds.toFixed(1)} s` +
      (failed.length && !cfg.strict ? ' (exit 0; pass --strict to fail the run)' : ''),
  );

  const report = {
    startedAt: startedAt.toISOString(),
    durationSeconds: round(seconds, 1),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      totalMemGb: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    },
    config: cfg,
    ratios,
    limits,
    results: rows,
    details,
    errors,
  };
  // BENCH_OUT: another file for the report (the smoke test writes to a temporary one, so it
  // does not replace the figures of a real run).
  const file = process.env.BENCH_OUT ? path.resolve(process.env.BENCH_OUT) : path.join(ROOT, 'bench/results/latest.json');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  console.log(`report: ${path.relative(process.cwd(), file)}`);
  if (details.backgroundLoadCores > 0.25) {
    console.log(
      `⚠ other processes used ${details.backgroundLoadCores} of ${os.cpus().length} cores during the measurements: ` +
        'throughput and latency figures are lower than on an idle machine.',
    );
  }
  if (cfg.smoke) {
    // The smoke run checks the bench itself: every figure measured and finite, no section failed.
    const problems = [...checkSmoke({ ratios, limits }), ...errors.map((e) => `${e.section}: ${e.error.split('\n')[0]}`)];
    if (problems.length) {
      console.log(`✗ smoke: ${problems.join('; ')}`);
      return 1;
    }
    console.log('✓ smoke: every ratio and limit measured (targets not judged in a smoke run)');
  }
  return cfg.strict && failed.length ? 1 : 0;
}

main()
  .then((code) => process.exit(interrupted ? 130 : code))
  .catch(async (error) => {
    console.error(error);
    await cleanup().catch(() => undefined);
    process.exit(cfg.strict ? 1 : 2);
  });
