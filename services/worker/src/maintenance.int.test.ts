import { randomBytes } from 'node:crypto';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { firstEventIdAt, LANES, type Lane } from '@mc/core';
import { QUEUE_NAMES, WEBHOOKS_QUEUE, eventJobId, laneQueueNames, shardOf, webhookJobId, type EventJob } from '@mc/contracts';
import {
  AuditLogRepository,
  createTestSchema,
  dayOf,
  EventLogPartitionsRepository,
  EventTypesRepository,
  EventsRepository,
  partitionName,
  ProofsRepository,
  WebhooksRepository,
  type TestSchema,
} from '@mc/db';
import type { Logger } from '@mc/observability';
import { startMaintenance, sweepStranded } from './maintenance';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DAY = 86_400_000;
jest.setTimeout(60_000);

let db: TestSchema;
let redis: Redis;
const prefix = `maint-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  db = await createTestSchema(DATABASE_URL);
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await db.drop();
});

test('the scheduled jobs make partitions ahead, and retention drops old days, keeping pending events', async () => {
  const type = await new EventTypesRepository(db.prisma).create({ key: 'T', label: 'T' });
  const events = new EventsRepository(db.prisma);
  const partitions = new EventLogPartitionsRepository(db.prisma);
  // Ids are time-ordered: an event of 40 days ago has an id of 40 days ago.
  let n = 0n;
  const add = async (ageDays: number, status: 'sent' | 'pending') => {
    const createdAt = new Date(Date.now() - ageDays * DAY);
    const id = firstEventIdAt(createdAt) + ++n;
    await events.begin({ id, eventTypeId: type.id, type: 'T', lane: 'realtime', channel: 'email', payload: {}, createdAt });
    await events.settle(id, { status });
    return id;
  };
  const oldDay = dayOf(Date.now() - 40 * DAY);
  await partitions.createDay(oldDay);
  const oldSent = await add(40, 'sent');
  const oldPending = await add(40, 'pending');
  const recentSent = await add(5, 'sent');
  const audit = new AuditLogRepository(db.prisma);
  const actor = { keyId: null, name: 'MC_ADMIN_KEY' };
  await audit.record({ actor, action: 'template.publish', target: { type: 'template', id: 'old' } });
  await audit.record({ actor, action: 'template.publish', target: { type: 'template', id: 'recent' } });
  await db.prisma.auditEntry.updateMany({ where: { targetId: 'old' }, data: { at: new Date(Date.now() - 40 * DAY) } });
  const proofs = new ProofsRepository(db.prisma);
  await proofs.record({ templateId: 'x', channel: 'email', to: ['a@example.com'], provider: 'smtp', providerMessageId: null, error: null });
  await db.prisma.proof.updateMany({ data: { createdAt: new Date(Date.now() - 40 * DAY) } });

  const logger = { info: () => undefined } as unknown as Logger;
  const maintenance = await startMaintenance({
    connection: redis,
    prefix,
    retentionDays: 30,
    events,
    partitions,
    partitionDaysAhead: 4,
    audit,
    proofs,
    logger,
    jobAttempts: 5,
  });
  try {
    const deadline = Date.now() + 10_000;
    const names = async () => (await partitions.list()).map((p) => p.name);
    while (((await events.find(oldSent)) || !(await names()).includes(partitionName('events', dayOf(Date.now() + 4 * DAY)))) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await events.find(oldSent)).toBeUndefined();
    expect(await names()).not.toContain(partitionName('events', oldDay));
    expect((await events.find(oldPending))?.status).toBe('pending');
    expect((await events.find(recentSent))?.status).toBe('sent');
    // Days ahead: today and the four after it.
    expect(await names()).toEqual(expect.arrayContaining([0, 1, 2, 3, 4].map((d) => partitionName('events', dayOf(Date.now() + d * DAY)))));
    // The audit log and proofs follow the same retention (purged in the same run, right after the events).
    while ((await audit.list({ limit: 10 })).length > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await audit.list({ limit: 10 })).map((e) => e.target.id)).toEqual(['recent']);
    expect(await db.prisma.proof.count()).toBe(0);
  } finally {
    await maintenance.close();
  }
});

test('the scheduled purge takes webhook messages past retention too, and the sweep relays lost ones', async () => {
  const webhooks = new WebhooksRepository(db.prisma);
  const endpoint = await webhooks.createEndpoint({ url: 'https://hooks.example.com/x', secret: 'sealed' });
  const old = await webhooks.addMessage(endpoint.id, 'webhook.test', {});
  await webhooks.failMessage(old.id, 'x');
  const lost = await webhooks.addMessage(endpoint.id, 'webhook.test', {});
  await db.prisma.webhookMessage.updateMany({ data: { createdAt: new Date(Date.now() - 40 * DAY), updatedAt: new Date(Date.now() - 40 * DAY) } });
  const events = new EventsRepository(db.prisma);
  const partitions = new EventLogPartitionsRepository(db.prisma);
  const logger = { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as Logger;
  const webhookPrefix = `${prefix}-wh`;
  const maintenance = await startMaintenance({
    connection: redis,
    prefix: webhookPrefix,
    retentionDays: 30,
    events,
    partitions,
    logger,
    jobAttempts: 5,
    webhooks,
    webhookRetries: 2,
    sweepEveryMs: 200,
  });
  const queue = new Queue(WEBHOOKS_QUEUE, { connection: redis, prefix: webhookPrefix });
  try {
    const deadline = Date.now() + 10_000;
    while (((await webhooks.findMessage(old.id)) || !(await queue.getJob(webhookJobId(lost.id)))) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await webhooks.findMessage(old.id)).toBeUndefined();
    expect((await webhooks.findMessage(lost.id))?.status).toBe('pending'); // pending messages are kept
    expect((await queue.getJob(webhookJobId(lost.id)))?.opts.attempts).toBe(3);
  } finally {
    await maintenance.close();
    await queue.close();
  }
});

describe('the sweeper', () => {
  const logger = { info: () => undefined, warn: () => undefined, error: () => undefined, child: () => logger } as unknown as Logger;
  let queues: Record<Lane, Queue>;
  let events: EventsRepository;
  let typeId: number;
  let nextId = 5000n;

  beforeAll(async () => {
    queues = Object.fromEntries(LANES.map((lane) => [lane, new Queue(QUEUE_NAMES[lane], { connection: redis, prefix })])) as Record<Lane, Queue>;
    events = new EventsRepository(db.prisma);
    typeId = (await new EventTypesRepository(db.prisma).create({ key: 'S', label: 'S' })).id;
  });
  afterAll(async () => {
    await Promise.all(Object.values(queues).map((q) => q.close()));
  });

  const payload = { type: 'S', email: 'a@example.com' };
  const open = async (lane: Lane = 'realtime') => {
    const id = nextId++;
    await events.begin({ id, eventTypeId: typeId, type: 'S', lane, channel: 'email', payload, createdAt: new Date() });
    return id;
  };
  const jobData = (id: bigint, extra: Partial<EventJob> = {}): EventJob => ({
    v: 1,
    id: id.toString(),
    lane: 'realtime',
    acceptedAt: new Date().toISOString(),
    channel: 'email',
    event: payload,
    ...extra,
  });
  // Everything is "stale" at once: the grace period is covered by looking from a minute ahead.
  const sweep = () => sweepStranded({ events, queues: { realtime: [queues.realtime], batch: [queues.batch] }, jobAttempts: 5, logger, now: () => Date.now() + 60_000, graceMs: 1000 });

  test('puts each stranded event right, and leaves the ones whose job is still queued alone', async () => {
    // 1. Re-driven, then the enqueue was lost (a crash between transition and add): re-enqueued.
    const redriven = await open();
    await events.settle(redriven, { status: 'deliveryFailed', reason: 'x' });
    await events.redrive(redriven);
    // 2. Processing, job gone: may have been sent, cannot tell → deliveryFailed with the reason.
    const lost = await open();
    // 3. Processing, its job failed for good after recording a send: sent.
    const failedSent = await open('batch');
    // 4. Processing, its job failed for good (stalled too often): deliveryFailed with BullMQ's reason.
    const stalled = await open();
    // 5. Processing with its job still waiting: untouched.
    const queued = await open();

    // Fail two jobs for good through a real worker.
    await queues.batch.add('deliver', jobData(failedSent, { lane: 'batch', sent: { provider: 'smtp', providerMessageId: '<m-1@x>', at: new Date().toISOString() } }), {
      jobId: eventJobId(failedSent.toString()),
    });
    await queues.realtime.add('deliver', jobData(stalled), { jobId: eventJobId(stalled.toString()) });
    // Workers that are never run: each takes its lane's one job and fails it by hand.
    const failing = (lane: Lane) => new Worker(QUEUE_NAMES[lane], null, { connection: redis, prefix, autorun: false });
    const batchWorker = failing('batch');
    const realtimeWorker = failing('realtime');
    const token = 'test-token';
    const batchJob = await batchWorker.getNextJob(token);
    await batchJob!.moveToFailed(new UnrecoverableError('boom'), token);
    const realtimeJob = await realtimeWorker.getNextJob(token);
    expect(realtimeJob!.id).toBe(eventJobId(stalled.toString()));
    await realtimeJob!.moveToFailed(new UnrecoverableError('job stalled more than allowable limit'), token);
    await Promise.all([batchWorker.close(), realtimeWorker.close()]);
    await queues.realtime.add('deliver', jobData(queued), { jobId: eventJobId(queued.toString()) });

    const result = await sweep();
    // (The purge test's pending rows, whose jobs never existed, are re-enqueued too.)
    expect(result.settled).toBe(3);
    expect(result.requeued).toBeGreaterThanOrEqual(1);

    const requeued = await queues.realtime.getJob(eventJobId(redriven.toString(), 1));
    expect(requeued?.data).toMatchObject({ id: redriven.toString(), generation: 1 });
    expect(await events.find(redriven)).toMatchObject({ status: 'pending', generation: 1 });
    expect(await events.find(lost)).toMatchObject({
      status: 'deliveryFailed',
      reason: 'Its job was lost while a worker held it; it may or may not have been sent — re-drive to try again',
    });
    const sent = await events.find(failedSent);
    expect(sent).toMatchObject({ status: 'sent', reason: null });
    expect(sent!.deliveries[0]).toMatchObject({ status: 'sent', providerMessageId: '<m-1@x>' });
    expect((await events.find(stalled))!.reason).toMatch(/^Its worker stopped while holding it more than once/);
    expect(await events.find(queued)).toMatchObject({ status: 'processing' });

    // A second sweep changes nothing: the re-enqueued job exists, the rest are ended.
    expect(await sweep()).toMatchObject({ requeued: 0, settled: 0 });
  });

  test('with sharded lanes it looks for each job in the shard its event id picks, and re-enqueues there', async () => {
    const topology = { hashTagged: false, shards: 3 };
    const sharded = Object.fromEntries(LANES.map((lane) => [lane, laneQueueNames(lane, topology).map((name) => new Queue(name, { connection: redis, prefix }))])) as Record<Lane, Queue[]>;
    try {
      // Re-driven events (pending, generation 1) spread over all three shards.
      const ids: bigint[] = [];
      while (new Set(ids.map((id) => shardOf(id, 3))).size < 3 || ids.length < 4) {
        const id = await open();
        await events.settle(id, { status: 'deliveryFailed', reason: 'x' });
        await events.redrive(id);
        ids.push(id);
      }
      // One event's job waits in its own shard (left alone); the others have none (re-enqueued).
      const [kept, ...lost] = ids;
      const keptShard = sharded.realtime[shardOf(kept!, 3)]!;
      await keptShard.add('deliver', jobData(kept!, { generation: 1 }), { jobId: eventJobId(kept!.toString(), 1) });

      const result = await sweepStranded({ events, queues: sharded, jobAttempts: 5, logger, now: () => Date.now() + 60_000, graceMs: 1000 });

      expect(result.requeued).toBeGreaterThanOrEqual(lost.length);
      for (const id of ids) {
        const shard = shardOf(id, 3);
        expect((await sharded.realtime[shard]!.getJob(eventJobId(id.toString(), 1)))?.data).toMatchObject({ id: id.toString(), generation: 1 });
        for (const other of [0, 1, 2].filter((s) => s !== shard)) {
          expect(await sharded.realtime[other]!.getJob(eventJobId(id.toString(), 1))).toBeUndefined();
        }
      }
    } finally {
      await Promise.all(Object.values(sharded).flat().map((q) => q.close()));
    }
  });
});
