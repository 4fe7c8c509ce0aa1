// The system under test: a migrated Postgres schema of its own, a Redis key prefix of its own,
// and the built ingest service and worker started as real processes. Everything created here
// is removed by cleanup(), also after a failure or Ctrl+C.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './stats.mjs';

const require = createRequire(import.meta.url);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { createTestSchema } = require(path.join(ROOT, 'packages/db/dist/index.js'));
const { Redis } = require('ioredis');
const { Agent, request } = require('undici');

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

const key = (label) => `${label}-${randomBytes(12).toString('hex')}`;

/**
 * The node options the image starts the ingest with (docker/Dockerfile's CMD, e.g. its heap cap),
 * so the bench measures the ingest as it is deployed.
 */
export function imageIngestNodeOptions() {
  const dockerfile = readFileSync(path.join(ROOT, 'docker/Dockerfile'), 'utf8');
  const cmd = [...dockerfile.matchAll(/^CMD (\[.*\])\s*$/gm)].pop()?.[1];
  const argv = cmd ? JSON.parse(cmd) : [];
  if (argv[0] !== 'node' || argv[argv.length - 1] !== 'services/ingest/dist/server.js') {
    throw new Error(`docker/Dockerfile's CMD no longer reads ["node", <options>, "services/ingest/dist/server.js"] (${cmd}): update bench/lib/system.mjs`);
  }
  return argv.slice(1, -1);
}

/**
 * The node options the worker is deployed with: the `command` of docker/compose.yaml's worker
 * service (the image's CMD is the ingest's), so the bench measures the worker as it runs there.
 */
export function composeWorkerNodeOptions() {
  const compose = readFileSync(path.join(ROOT, 'docker/compose.yaml'), 'utf8');
  const service = /^  worker:\n((?:    .*\n|\s*\n)*)/m.exec(compose)?.[1] ?? '';
  const command = /^    command: (\[.*\])\s*$/m.exec(service)?.[1];
  const argv = command ? JSON.parse(command) : [];
  if (argv[0] !== 'node' || argv[argv.length - 1] !== 'services/worker/dist/main.js') {
    throw new Error(`docker/compose.yaml's worker command no longer reads ["node", <options>, "services/worker/dist/main.js"] (${command}): update bench/lib/system.mjs`);
  }
  return argv.slice(1, -1);
}

export async function createSystem({ databaseUrl, redisUrl, smtpUrl, profileDir, log = () => undefined }) {
  const db = await createTestSchema(databaseUrl);
  const port = await freePort();
  const queuePrefix = `bench-${randomBytes(4).toString('hex')}`;
  const adminKey = key('admin');
  const ingestKey = key('ingest');
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: queuePrefix,
    PORT: String(port),
    HOST: '127.0.0.1',
    MC_ADMIN_KEY: adminKey,
    MC_INGEST_KEY: ingestKey,
    LOG_LEVEL: 'warn',
    SMTP_URL: smtpUrl,
    MAIL_FROM: 'Message Center Bench <bench@example.org>',
  };
  const children = [];
  const baseUrl = `http://127.0.0.1:${port}`;
  const adminAgent = new Agent({ connections: 2 });

  const start = (name, script, extraEnv = {}, nodeOptions = []) => {
    const output = [];
    // BENCH_PROFILE=1: V8 CPU profiles of the services, written when they exit.
    const nodeArgs = [...nodeOptions, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}.cpuprofile`] : [])];
    const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, script)], {
      cwd: ROOT,
      env: { ...process.env, ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk) => {
      output.push(String(chunk));
      if (output.length > 200) output.splice(0, output.length - 200);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const proc = { name, child, pid: child.pid, output, exited: false };
    child.once('exit', (code, signal) => {
      proc.exited = true;
      proc.exit = { code, signal };
    });
    children.push(proc);
    log(`started ${name} (pid ${child.pid}${nodeOptions.length ? `, node ${nodeOptions.join(' ')}` : ''})`);
    return proc;
  };

  const failIfExited = (proc) => {
    if (proc.exited) {
      throw new Error(`${proc.name} exited (${JSON.stringify(proc.exit)}):\n${proc.output.join('').slice(-4000)}`);
    }
  };

  /** JSON request against the ingest service with the admin key (by default). */
  async function api(method, url, body, apiKey = adminKey) {
    const response = await request(`${baseUrl}${url}`, {
      method,
      dispatcher: adminAgent,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.body.text();
    let parsed = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.statusCode, body: parsed };
  }

  /** The ingest process's own view of its memory (prom-client default metrics), in MB. */
  async function ingestMemory() {
    const res = await api('GET', '/metrics');
    if (res.status !== 200 || typeof res.body !== 'string') return undefined;
    const metric = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(res.body)?.[1]) / 1048576;
    const round1 = (n) => Math.round(n * 10) / 10;
    return {
      rssMb: round1(metric('process_resident_memory_bytes')),
      heapUsedMb: round1(metric('nodejs_heap_size_used_bytes')),
      heapTotalMb: round1(metric('nodejs_heap_size_total_bytes')),
      externalMb: round1(metric('nodejs_external_memory_bytes')),
    };
  }

  async function expectStatus(method, url, body, status) {
    const res = await api(method, url, body);
    if (res.status !== status) throw new Error(`${method} ${url} → ${res.status} (expected ${status}): ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function startIngest() {
    const proc = start('ingest', 'services/ingest/dist/server.js', {}, imageIngestNodeOptions());
    const deadline = Date.now() + 30_000;
    for (;;) {
      failIfExited(proc);
      const ready = await request(`${baseUrl}/readyz`, { dispatcher: adminAgent })
        .then(async (r) => (await r.body.text(), r.statusCode === 200))
        .catch(() => false);
      if (ready) return proc;
      if (Date.now() > deadline) throw new Error(`ingest did not become ready in 30 s:\n${proc.output.join('').slice(-4000)}`);
      await sleep(100);
    }
  }

  /** Starts a worker and waits until BullMQ lists a consumer on every lane's queue. */
  async function startWorker(extraEnv, queueNames, name = 'worker') {
    const proc = start(name, 'services/worker/dist/main.js', extraEnv, composeWorkerNodeOptions());
    const { Queue } = require('bullmq');
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const queues = queueNames.map((name) => new Queue(name, { connection, prefix: queuePrefix }));
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        failIfExited(proc);
        const counts = await Promise.all(queues.map((q) => q.getWorkersCount()));
        if (counts.every((c) => c > 0)) return proc;
        if (Date.now() > deadline) throw new Error(`worker did not attach to its queues in 30 s:\n${proc.output.join('').slice(-4000)}`);
        await sleep(100);
      }
    } finally {
      await Promise.all(queues.map((q) => q.close()));
      connection.disconnect();
    }
  }

  /**
   * A ceiling server (lib/ceiling-server.mjs, `noop` or `add`) as a process of its own, like
   * the ingest; resolves with its base URL once it listens.
   */
  async function startCeilingServer(mode) {
    const ceilingPort = await freePort();
    const proc = start(`ceiling-${mode}`, 'bench/lib/ceiling-server.mjs', { CEILING_MODE: mode, PORT: String(ceilingPort) });
    const deadline = Date.now() + 30_000;
    while (!proc.output.join('').includes('ready')) {
      failIfExited(proc);
      if (Date.now() > deadline) throw new Error(`ceiling server ${mode} did not start in 30 s:\n${proc.output.join('').slice(-4000)}`);
      await sleep(50);
    }
    return { proc, baseUrl: `http://127.0.0.1:${ceilingPort}` };
  }

  /** SIGTERM, then SIGKILL after 10 s; records how the process ended (a graceful stop is part of the product). */
  async function stopProcess(proc) {
    if (proc.exited) return;
    const exited = new Promise((resolve) => proc.child.once('exit', resolve));
    const started = performance.now();
    let killed = false;
    proc.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      killed = true;
      proc.child.kill('SIGKILL');
    }, 10_000);
    await exited;
    clearTimeout(timer);
    proc.stop = { ms: Math.round(performance.now() - started), sigkillNeeded: killed, ...proc.exit };
  }

  async function deleteRedisKeys() {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    let deleted = 0;
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) deleted += await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    return deleted;
  }

  let cleaned;
  return {
    db,
    env,
    baseUrl,
    adminKey,
    ingestKey,
    queuePrefix,
    children,
    api,
    ingestMemory,
    expectStatus,
    startIngest,
    startWorker,
    startCeilingServer,
    stopProcess,
    deleteRedisKeys,
    /** Idempotent: stop the processes, delete the Redis keys, drop the schema. */
    cleanup() {
      cleaned ??= (async () => {
        const problems = [];
        await Promise.all(children.map((p) => stopProcess(p).catch((e) => problems.push(`stop ${p.name}: ${e.message}`))));
        await adminAgent.close().catch(() => undefined);
        const deleted = await deleteRedisKeys().catch((e) => (problems.push(`redis cleanup: ${e.message}`), 0));
        await db.drop().catch((e) => problems.push(`drop schema: ${e.message}`));
        for (const p of children) {
          const stop = p.stop ?? p.exit;
          log(`${p.name} (pid ${p.pid}) stopped: ${JSON.stringify(stop)}`);
          const output = p.output.join('').trim();
          if (output) log(`${p.name} wrote (LOG_LEVEL=warn), last lines:\n    ${output.split('\n').slice(-8).join('\n    ')}`);
        }
        log(`cleanup: processes stopped, ${deleted} Redis keys deleted (${queuePrefix}:*), schema ${db.schema} dropped`);
        if (problems.length) log(`cleanup problems: ${problems.join('; ')}`);
      })();
      return cleaned;
    },
  };
}
