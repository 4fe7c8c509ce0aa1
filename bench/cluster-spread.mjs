// What Redis costs per job, and how a Redis Cluster spreads it (README "Scaling"):
//   node bench/cluster-spread.mjs            (SPREAD_EVENTS=3000 by default)
// 1. One standalone Redis of its own (AOF everysec), QUEUE_SHARDS=1: N events through the
//    ingest (batches) and one worker to the SMTP sink. Redis CPU (INFO cpu, used_cpu_sys +
//    used_cpu_user) and commands (INFO stats total_commands_processed) per job, and the ceiling
//    they imply: jobs/s one Redis core can carry.
// 2. A 3-master Redis Cluster of its own, QUEUE_SHARDS=3: the same load; keys, commands and
//    CPU per master.
// Needs PostgreSQL (DATABASE_URL), redis-server and redis-cli on the PATH, built services.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT, freePort } from './lib/system.mjs';
import { startSmtpSink } from './lib/smtp-sink.mjs';
import { startRedisServers } from './lib/redis-servers.mjs';
import { round, sleep } from './lib/stats.mjs';

const require = createRequire(import.meta.url);
const { createTestSchema } = require(path.join(ROOT, 'packages/db/dist/index.js'));

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const EVENTS = Number(process.env.SPREAD_EVENTS ?? 3000);
const BATCH = 500;
const WARM_UP = 200;
const log = (line) => process.stderr.write(`${line}\n`);

/** INFO figures of one node: CPU seconds, commands processed, keys. */
async function nodeFigures(redis, port) {
  const cpu = await redis.ask(port, 'INFO', 'cpu');
  const stats = await redis.ask(port, 'INFO', 'stats');
  const field = (text, name) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(text)?.[1] ?? NaN);
  return {
    cpuSeconds: field(cpu, 'used_cpu_sys') + field(cpu, 'used_cpu_user'),
    commands: field(stats, 'total_commands_processed'),
    keys: Number(await redis.ask(port, 'DBSIZE')),
  };
}

async function run({ label, shards, cluster }) {
  const redis = await startRedisServers({ count: cluster ? 3 : 1, cluster });
  const sink = await startSmtpSink();
  const db = await createTestSchema(DATABASE_URL);
  const port = await freePort();
  const adminKey = `admin-${randomBytes(12).toString('hex')}`;
  const env = {
    ...process.env,
    DATABASE_URL: db.url,
    ...(cluster ? { REDIS_CLUSTER_NODES: redis.seeds } : { REDIS_URL: `redis://127.0.0.1:${redis.ports[0]}` }),
    QUEUE_SHARDS: String(shards),
    QUEUE_PREFIX: 'mc',
    PORT: String(port),
    HOST: '127.0.0.1',
    MC_ADMIN_KEY: adminKey,
    LOG_LEVEL: 'warn',
    SMTP_URL: sink.url,
    MAIL_FROM: 'Message Center Bench <bench@example.org>',
    WORKER_CONCURRENCY_BATCH: '50',
  };
  // The cluster run must not warn about (or fall back to) an inherited REDIS_URL.
  if (cluster) delete env.REDIS_URL;
  const children = ['services/ingest/dist/server.js', 'services/worker/dist/main.js'].map((script) =>
    spawn(process.execPath, [path.join(ROOT, script)], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] }),
  );
  const base = `http://127.0.0.1:${port}`;
  const api = async (method, url, body) => {
    const response = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${url}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  try {
    const deadline = Date.now() + 30_000;
    while (!(await fetch(`${base}/readyz`).then((r) => r.ok).catch(() => false))) {
      if (Date.now() > deadline) throw new Error('ingest did not become ready');
      await sleep(100);
    }
    await api('POST', '/v1/event-types', { key: 'SPREAD', label: 'Spread' });
    const template = await api('POST', '/v1/templates', {
      eventType: 'SPREAD',
      channel: 'email',
      name: 'spread',
      content: { subject: 'Hello {{ ctx.n }}', mjml: '<mjml><mj-body><mj-section><mj-column><mj-text>{{ ctx.n }}</mj-text></mj-column></mj-section></mj-body></mjml>' },
    });
    await api('POST', `/v1/templates/${template.id}/publish`);
    let sent = 0;
    const push = async (count) => {
      for (let done = 0; done < count; done += BATCH) {
        const size = Math.min(BATCH, count - done);
        const events = Array.from({ length: size }, (_, i) => ({ type: 'SPREAD', email: `r${sent + i}@example.com`, ctx: { n: sent + i } }));
        sent += size;
        const answer = await api('POST', '/v1/events/batch', { events });
        if (answer.accepted !== size) throw new Error(`batch accepted ${answer.accepted} of ${size}`);
      }
      await sink.waitFor(sent, 300_000);
    };
    await push(WARM_UP);
    const before = await Promise.all(redis.ports.map((p) => nodeFigures(redis, p)));
    const started = performance.now();
    await push(EVENTS);
    const seconds = (performance.now() - started) / 1000;
    // Let the worker's last settles and the completed-job trims land before reading.
    await sleep(500);
    const after = await Promise.all(redis.ports.map((p) => nodeFigures(redis, p)));
    const perNode = redis.ports.map((p, i) => ({
      port: p,
      cpuMsPerJob: round(((after[i].cpuSeconds - before[i].cpuSeconds) * 1000) / EVENTS, 3),
      commandsPerJob: round((after[i].commands - before[i].commands) / EVENTS, 1),
      commands: after[i].commands - before[i].commands,
      keys: after[i].keys,
    }));
    const cpuMsPerJob = perNode.reduce((sum, n) => sum + n.cpuMsPerJob, 0);
    const result = {
      label,
      events: EVENTS,
      jobsPerSecond: round(EVENTS / seconds, 0),
      redisCpuMsPerJob: round(cpuMsPerJob, 3),
      commandsPerJob: round(perNode.reduce((sum, n) => sum + n.commands, 0) / EVENTS, 1),
      // One Redis core spends cpuMsPerJob per job: this many jobs a second saturate it.
      ceilingJobsPerSecondPerRedisCore: round(1000 / cpuMsPerJob, 0),
      duplicates: sink.duplicates,
      perNode,
    };
    return result;
  } finally {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }),
    );
    await sink.close?.();
    await db.drop().catch((error) => log(`drop schema: ${error.message}`));
    await redis.stop();
  }
}

const results = [];
for (const setup of [
  { label: 'standalone Redis, QUEUE_SHARDS=1', shards: 1, cluster: false },
  { label: '3-master Redis Cluster, QUEUE_SHARDS=3', shards: 3, cluster: true },
]) {
  log(`• ${setup.label}: ${EVENTS} events (after ${WARM_UP} to warm up)…`);
  results.push(await run(setup));
}
for (const r of results) {
  console.log(`\n${r.label}: ${r.events} events, ${r.jobsPerSecond} jobs/s end to end (this machine), duplicates ${r.duplicates}`);
  console.log(`  Redis CPU per job ${r.redisCpuMsPerJob} ms (all nodes), ${r.commandsPerJob} commands per job → ceiling ≈ ${r.ceilingJobsPerSecondPerRedisCore} jobs/s per Redis core`);
  for (const n of r.perNode) console.log(`  node :${n.port}  keys ${n.keys}  commands ${n.commands} (${n.commandsPerJob}/job)  CPU ${n.cpuMsPerJob} ms/job`);
}
console.log(`\n${JSON.stringify(results)}`);
