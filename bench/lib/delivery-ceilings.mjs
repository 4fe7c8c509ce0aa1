// The delivery ceilings and the contract floor, each run by the bench as a process of its own,
// as the worker runs, so that each pays what the worker pays for being a separate process: a
// message to the SMTP sink (in the bench process) wakes another process. Measured on the idle
// 2-core machine, that cost the SMTP ceiling about a tenth (2,245-2,554 msg/s as a child,
// 2,538-2,859 in the bench process) and the SMTP floor about a third (904-1,030 as a child,
// 1,404-1,518 in it).
//   node bench/lib/delivery-ceilings.mjs <smtp|bullmq|floor> '<json arguments>'
// prints the result as one JSON line.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchEvent } from '../ingest.bench.mjs';
import { runLoops } from './load.mjs';
import { nowMs, round, sleep } from './stats.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Ceiling of SMTP delivery: a raw nodemailer pool (the worker's pool size) to the same sink,
 * N messages of the size the worker sent, `concurrency` in flight (the worker's).
 */
export async function smtpCeiling({ sinkUrl, n, messageBytes, concurrency, poolSize }) {
  const nodemailer = require('nodemailer');
  const transport = nodemailer.createTransport({ url: sinkUrl, pool: true, maxConnections: poolSize, maxMessages: Infinity });
  const filler = 'x'.repeat(Math.max(0, messageBytes - 200));
  try {
    const wallMs = await runLoops({
      clients: concurrency,
      jobs: n,
      fn: (i) =>
        transport.sendMail({
          envelope: { from: 'bench@example.org', to: [`ceiling-${i}@example.com`] },
          raw: `From: bench@example.org\r\nTo: ceiling-${i}@example.com\r\nSubject: ceiling ${i}\r\n\r\n${filler.replace(/(.{76})/g, '$1\r\n')}\r\n`,
        }),
    });
    return { messages: n, messageBytes, poolSize, concurrency, seconds: round(wallMs / 1000, 3), messagesPerSecond: round(n / (wallMs / 1000), 1) };
  } finally {
    transport.close();
  }
}

/**
 * Ceiling of the no-op delivery: raw BullMQ, N empty jobs added in batches (as the ingest adds
 * them) and processed by a Worker doing nothing, with the worker's concurrency and job options;
 * from the first addBulk's answer to the N-th completion.
 */
export async function bullmqCeiling({ redisUrl, prefix, n, batchSize, concurrency }) {
  const { Queue, Worker } = require('bullmq');
  const { Redis } = require('ioredis');
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('ceiling-deliver', { connection, prefix });
  let completed = 0;
  let resolveDone;
  const done = new Promise((resolve) => (resolveDone = resolve));
  const worker = new Worker('ceiling-deliver', async () => undefined, {
    connection: new Redis(redisUrl, { maxRetriesPerRequest: null }),
    prefix,
    concurrency,
  });
  worker.on('completed', () => {
    if (++completed === n) resolveDone(nowMs());
  });
  try {
    await worker.waitUntilReady();
    let first;
    const opts = { attempts: 25, removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: 7 * 86400, count: 10_000 } };
    for (let from = 0; from < n; from += batchSize) {
      const size = Math.min(batchSize, n - from);
      await queue.addBulk(Array.from({ length: size }, () => ({ name: 'deliver', data: {}, opts })));
      first ??= nowMs();
    }
    const end = await Promise.race([done, sleep(120_000).then(() => undefined)]);
    if (end === undefined) throw new Error(`BullMQ ceiling: ${completed} of ${n} jobs completed in 120 s`);
    return { jobs: n, concurrency, seconds: round((end - first) / 1000, 3), jobsPerSecond: round(n / ((end - first) / 1000), 1) };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    connection.disconnect();
  }
}

/**
 * The floor the delivery contract sets: raw BullMQ with the worker's concurrency, where each
 * job does only what the contract writes — the worker's own `begin` and `settle` (group commit,
 * prepared statements, against the bench's schema) and the send-once record in the job's data
 * — and, with `sinkUrl`, a raw nodemailer pool send between them. No lookups, no render, no
 * metrics. Its ratio to the matching ceiling is about the most a worker that keeps the contract
 * with these writes can reach on this machine: what is left between it and the worker is ours.
 */
export async function contractFloor({ databaseUrl, redisUrl, prefix, eventType, n, batchSize, concurrency, sinkUrl, messageBytes, poolSize, groupCommit }) {
  const { Queue, Worker } = require('bullmq');
  const { Redis } = require('ioredis');
  const { createPrismaClient, EventsRepository } = require(path.join(ROOT, 'packages/db/dist/index.js'));
  const { EventIdGenerator } = require(path.join(ROOT, 'packages/core/dist/index.js'));
  const prisma = createPrismaClient({ databaseUrl });
  const events = new EventsRepository(prisma, { groupCommit });
  const [{ id: eventTypeId }] = await prisma.$queryRawUnsafe('SELECT "id" FROM "event_types" WHERE "key" = $1', eventType);
  const transport = sinkUrl
    ? require('nodemailer').createTransport({ url: sinkUrl, pool: true, maxConnections: poolSize, maxMessages: Infinity })
    : undefined;
  const filler = 'x'.repeat(Math.max(0, messageBytes - 200)).replace(/(.{76})/g, '$1\r\n');
  const queueName = `floor-${sinkUrl ? 'smtp' : 'noop'}`;
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection, prefix });
  let completed = 0;
  let failed = 0;
  let resolveDone;
  const done = new Promise((resolve) => (resolveDone = resolve));
  const worker = new Worker(
    queueName,
    async (job) => {
      const id = BigInt(job.data.id);
      const begun = await events.begin({
        id, eventTypeId, type: eventType, lane: 'batch', channel: 'email', payload: job.data.event,
        createdAt: new Date(job.data.acceptedAt), suppressionAddress: job.data.event.email,
      });
      if (!begun.taken) throw new Error(`floor: event ${id} was not taken`);
      let providerMessageId = 'outbox';
      if (transport) {
        const to = job.data.event.email;
        const info = await transport.sendMail({
          envelope: { from: 'bench@example.org', to: [to] },
          raw: `From: bench@example.org\r\nTo: ${to}\r\nSubject: floor\r\n\r\n${filler}\r\n`,
        });
        providerMessageId = info.response;
      }
      const at = new Date().toISOString();
      const sent = { provider: 'floor', providerMessageId, at };
      const entry = { at, provider: 'floor', outcome: 'sent' };
      await Promise.all([
        job.updateData({ ...job.data, sent }),
        events.settle(id, {
          status: 'sent',
          attempt: { channel: 'email', provider: 'floor', deliveryStatus: 'sent', entry, providerMessageId },
        }),
      ]);
    },
    { connection: new Redis(redisUrl, { maxRetriesPerRequest: null }), prefix, concurrency },
  );
  worker.on('completed', () => {
    if (++completed === n) resolveDone(nowMs());
  });
  worker.on('failed', () => failed++);
  try {
    await worker.waitUntilReady();
    const ids = new EventIdGenerator(1023); // a node id of its own: the ingest draws ids beside it
    const opts = { attempts: 25, removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: 7 * 86400, count: 10_000 } };
    let first;
    // This process's CPU (the worker side, plus the adds): what the contract's path costs per message.
    const cpuBefore = process.cpuUsage();
    for (let from = 0; from < n; from += batchSize) {
      const size = Math.min(batchSize, n - from);
      await queue.addBulk(
        Array.from({ length: size }, (_, i) => ({
          name: 'deliver',
          data: { id: ids.next().toString(), acceptedAt: new Date().toISOString(), event: benchEvent(eventType, from + i, queueName) },
          opts,
        })),
      );
      first ??= nowMs();
    }
    const end = await Promise.race([done, sleep(120_000).then(() => undefined)]);
    if (end === undefined) throw new Error(`contract floor: ${completed} of ${n} jobs completed in 120 s (${failed} failed)`);
    const cpu = process.cpuUsage(cpuBefore);
    return {
      jobs: n,
      concurrency,
      seconds: round((end - first) / 1000, 3),
      jobsPerSecond: round(n / ((end - first) / 1000), 1),
      cpuMsPerMessage: round((cpu.user + cpu.system) / 1000 / n, 2),
    };
  } finally {
    await worker.close();
    transport?.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    connection.disconnect();
    await prisma.$disconnect();
  }
}

const KINDS = { smtp: smtpCeiling, bullmq: bullmqCeiling, floor: contractFloor };

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const run = KINDS[process.argv[2]];
  if (!run) throw new Error(`usage: delivery-ceilings.mjs <${Object.keys(KINDS).join('|')}> '<json arguments>'`);
  const result = await run(JSON.parse(process.argv[3] ?? '{}'));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
