#!/usr/bin/env node
// The ingest ceilings, started by the bench as a process of its own (as the ingest service is):
// a bare Fastify app with one POST route that parses the same JSON body and answers 202.
//   CEILING_MODE=noop  answers at once: what Fastify + Node's HTTP stack can do on this machine.
//   CEILING_MODE=add   first does one raw BullMQ `add` of a job shaped like the ingest's
//                      (same data and options), so the ratio shows what the ingest adds on top.
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';

const require = createRequire(import.meta.url);
const Fastify = require('fastify');
// The job id and name the ingest uses (its ids are digits; a BullMQ custom id has no ':').
const { DELIVER_JOB, eventJobId } = require('../../packages/contracts/dist/index.js');
const mode = process.env.CEILING_MODE ?? 'noop';
const port = Number(process.env.PORT);

const app = Fastify({ logger: false });
let queue;
let connection;
if (mode === 'add') {
  const { Queue } = require('bullmq');
  const { Redis } = require('ioredis');
  connection = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue('ceiling-ingest', { connection, prefix: process.env.QUEUE_PREFIX });
}

app.post('/v1/events', async (request, reply) => {
  if (queue) {
    const id = randomUUID();
    const job = { v: 1, id, lane: 'realtime', acceptedAt: new Date().toISOString(), channel: 'email', event: request.body };
    await queue.add(DELIVER_JOB, job, { jobId: eventJobId(id), delay: 0, attempts: 25, backoff: { type: 'jittered' } });
    return reply.code(202).send({ id, status: 'accepted' });
  }
  return reply.code(202).send({ id: randomUUID(), status: 'accepted' });
});

process.on('SIGTERM', async () => {
  await app.close();
  await queue?.close();
  connection?.disconnect();
  process.exit(0);
});

await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`ready ${mode} :${port}\n`);
