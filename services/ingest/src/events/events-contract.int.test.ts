/**
 * The delivery contract at the API, against the running Postgres and Redis: concurrent
 * re-drives enqueue once (one 202, 409 for the rest), and GET /v1/events/:id shows where an
 * open event's job really is.
 */
import { randomBytes } from 'node:crypto';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '@mc/config';
import { QUEUE_NAMES, eventJobId } from '@mc/contracts';
import { createTestSchema, EventsRepository, type TestSchema } from '@mc/db';
import { createLogger, createIngestMetrics } from '@mc/observability';
import { createIngestContext, type IngestContext } from '../context';
import { buildApp } from '../app';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN = `admin-${randomBytes(8).toString('hex')}`;
const prefix = `contract-${randomBytes(4).toString('hex')}`;
const auth = { authorization: `Bearer ${ADMIN}` };
jest.setTimeout(60_000);

let db: TestSchema;
let ctx: IngestContext;
let app: Awaited<ReturnType<typeof buildApp>>;
let redis: Redis;
let events: EventsRepository;
let typeId: number;

beforeAll(async () => {
  db = await createTestSchema(DATABASE_URL);
  const config = loadConfig({ DATABASE_URL: db.url, REDIS_URL, QUEUE_PREFIX: prefix, MC_ADMIN_KEY: ADMIN, SMTP_URL: 'smtp://127.0.0.1:1' });
  const logger = createLogger({ name: 'test', level: 'silent' });
  const metrics = createIngestMetrics();
  ctx = await createIngestContext(config, logger, metrics);
  app = await buildApp({ ctx, logger, metrics });
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  events = new EventsRepository(db.prisma);
  const created = await app.inject({ method: 'POST', url: '/v1/event-types', headers: auth, payload: { key: 'T', label: 'T' } });
  expect(created.statusCode).toBe(201);
  typeId = (await db.prisma.eventType.findUniqueOrThrow({ where: { key: 'T' } })).id;
});

afterAll(async () => {
  await app?.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await ctx?.close();
  await db?.drop();
});

let nextId = 7_000_000_000_000n;
async function failedEvent(): Promise<bigint> {
  const id = nextId++;
  await events.begin({ id, eventTypeId: typeId, type: 'T', lane: 'realtime', channel: 'email', payload: { type: 'T', email: 'a@example.com' }, createdAt: new Date() });
  await events.settle(id, { status: 'deliveryFailed', reason: 'Refused by smtp: 550' });
  return id;
}

test('three parallel re-drives: exactly one 202, 409 for the others, one job', async () => {
  const id = await failedEvent();
  const responses = await Promise.all(
    [1, 2, 3].map(() => app.inject({ method: 'POST', url: `/v1/events/${id}/retry`, headers: auth })),
  );
  const codes = responses.map((r) => r.statusCode).sort();
  expect(codes).toEqual([202, 409, 409]);
  const conflict = responses.find((r) => r.statusCode === 409)!;
  expect(conflict.headers['content-type']).toMatch(/problem\+json/);
  expect(conflict.json().detail).toMatch(/status pending cannot be re-driven/);

  const queue = ctx.queues.realtime[0]!;
  const job = await queue.getJob(eventJobId(id.toString(), 1));
  expect(job?.data).toMatchObject({ id: id.toString(), generation: 1 });
  expect(await queue.getJobCounts('waiting', 'delayed', 'active')).toEqual({ waiting: 1, delayed: 0, active: 0 });
  expect(await events.find(id)).toMatchObject({ status: 'pending', generation: 1, reason: 'Re-driven by an operator' });

  // The queue state of the re-driven event.
  const view = await app.inject({ method: 'GET', url: `/v1/events/${id}`, headers: auth });
  expect(view.json()).toMatchObject({ status: 'pending', queue: { state: 'waiting' } });
  await queue.obliterate({ force: true });
});

test('re-drive answers 409 for a status that cannot be re-driven, 404 for an unknown event', async () => {
  const id = nextId++;
  await events.begin({ id, eventTypeId: typeId, type: 'T', lane: 'realtime', channel: 'email', payload: { type: 'T' }, createdAt: new Date() });
  await events.settle(id, { status: 'sent' });
  expect((await app.inject({ method: 'POST', url: `/v1/events/${id}/retry`, headers: auth })).statusCode).toBe(409);
  expect((await app.inject({ method: 'POST', url: `/v1/events/${nextId++}/retry`, headers: auth })).statusCode).toBe(404);
});

test('GET of a scheduled event shows pending with its job delayed until the scheduled time', async () => {
  const scheduled = new Date(Date.now() + 3_600_000);
  const pushed = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: auth,
    payload: { type: 'T', email: 'b@example.com', scheduled: scheduled.toISOString() },
  });
  expect(pushed.statusCode).toBe(202);
  const view = (await app.inject({ method: 'GET', url: `/v1/events/${pushed.json().id}`, headers: auth })).json();
  expect(view.status).toBe('pending');
  expect(view.queue.state).toBe('delayed');
  expect(Math.abs(Date.parse(view.queue.nextAttemptAt) - scheduled.getTime())).toBeLessThan(2000);
});

test('GET of an event with a row whose job is retrying shows the delay; of one whose job is gone, missing', async () => {
  const id = nextId++;
  await events.begin({ id, eventTypeId: typeId, type: 'T', lane: 'batch', channel: 'email', payload: { type: 'T' }, createdAt: new Date() });
  const next = new Date(Date.now() + 60_000);
  await events.settle(id, { status: 'pending', reason: 'Attempt 1 failed (451); retrying', nextAttemptAt: next });
  let view = (await app.inject({ method: 'GET', url: `/v1/events/${id}`, headers: auth })).json();
  expect(view).toMatchObject({ status: 'pending', queue: { state: 'missing' } });

  await ctx.queues.batch[0]!.add('deliver', { v: 1, id: id.toString() }, { jobId: eventJobId(id.toString()), delay: 60_000 });
  view = (await app.inject({ method: 'GET', url: `/v1/events/${id}`, headers: auth })).json();
  expect(view).toMatchObject({ status: 'pending', reason: 'Attempt 1 failed (451); retrying', queue: { state: 'delayed' } });
  expect(Math.abs(Date.parse(view.queue.nextAttemptAt) - next.getTime())).toBeLessThan(2000);
});

test('GET of a queued event whose job failed for good shows deliveryFailed with the reason, not pending', async () => {
  const pushed = await app.inject({ method: 'POST', url: '/v1/events', headers: auth, payload: { type: 'T', email: 'c@example.com' } });
  const id: string = pushed.json().id;
  const worker = new Worker(
    QUEUE_NAMES.realtime,
    async () => {
      throw new UnrecoverableError('Event type "T" was deleted before the event was processed');
    },
    { connection: redis, prefix },
  );
  try {
    const deadline = Date.now() + 10_000;
    let view: { status: string; reason?: string; queue?: { state: string; failedReason?: string } } = { status: '' };
    while (Date.now() < deadline) {
      view = (await app.inject({ method: 'GET', url: `/v1/events/${id}`, headers: auth })).json();
      if (view.queue?.state === 'failed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(view).toMatchObject({
      status: 'deliveryFailed',
      reason: 'Its job failed: Event type "T" was deleted before the event was processed',
      queue: { state: 'failed', failedReason: 'Event type "T" was deleted before the event was processed' },
    });
  } finally {
    await worker.close();
  }
});
