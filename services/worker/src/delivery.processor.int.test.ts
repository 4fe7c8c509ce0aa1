/**
 * The processor inside a real BullMQ worker, against the running Redis and Postgres: a hold
 * waits as a delayed job without spending a BullMQ attempt, and a database failure right after
 * a send is ridden out without sending twice (the send is read back from the job's data).
 */
import { randomBytes } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE_NAMES, eventJobId, type EventJob } from '@mc/contracts';
import { createTestSchema, EventTypesRepository, EventsRepository, SuppressionsRepository, type TestSchema } from '@mc/db';
import type { Provider, SendOutcome, SmsMessage } from '@mc/channels';
import type { Logger } from '@mc/observability';
import { createDeliveryProcessor } from './delivery.processor';
import type { TemplateRoutes } from './template-routes';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
jest.setTimeout(60_000);

let db: TestSchema;
let redis: Redis;
let queue: Queue;
let worker: Worker | undefined;
let typeId: number;
const prefix = `proc-${randomBytes(4).toString('hex')}`;
const logger = { child: () => logger, info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as unknown as Logger;

beforeAll(async () => {
  db = await createTestSchema(DATABASE_URL);
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue(QUEUE_NAMES.realtime, { connection: redis, prefix });
  typeId = (await new EventTypesRepository(db.prisma).create({ key: 'OTP', label: 'OTP' })).id;
});
afterEach(async () => {
  await worker?.close();
  worker = undefined;
});
afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await db.drop();
});

/** Runs one event through a real worker with a scripted SMS provider; resolves with its job once completed. */
async function deliver(id: string, outcomes: SendOutcome[], events: EventsRepository) {
  const sends: SmsMessage[] = [];
  const provider: Provider<SmsMessage> = {
    name: 'sms-test',
    channel: 'sms',
    send: async (message) => {
      sends.push(message);
      return outcomes.shift() ?? { kind: 'sent', provider: 'sms-test', providerMessageId: `m-${sends.length}` };
    },
    close: async () => undefined,
  };
  const processor = createDeliveryProcessor({
    eventTypes: { find: async () => ({ id: typeId, maxAgeSeconds: null }) },
    events,
    suppressions: new SuppressionsRepository(db.prisma),
    routes: {
      resolve: async () => ({ paused: false, version: { id: null, version: 1 }, renderer: { render: async () => ({ text: 'Code 1234' }) } }),
      invalidate: () => undefined,
    } as unknown as TemplateRoutes,
    providers: { email: provider as never, sms: provider },
    mailFrom: 'mc@example.test',
    retryBaseDelayMs: 50,
    retry: { email: { windowMs: 60_000 }, sms: { windowMs: 60_000 }, push: { windowMs: 60_000 } },
    logger,
  });
  const completed = new Promise<Job>((resolve, reject) => {
    worker = new Worker(QUEUE_NAMES.realtime, processor, { connection: redis, prefix, concurrency: 2 });
    worker.on('completed', (job) => job.id === eventJobId(id) && resolve(job));
    worker.on('failed', (job, error) => job?.id === eventJobId(id) && reject(error));
  });
  const data: EventJob = { v: 1, id, lane: 'realtime', acceptedAt: new Date().toISOString(), channel: 'sms', event: { type: 'OTP', mobilePhone: '+46701234567' } };
  await queue.add('deliver', data, { jobId: eventJobId(id), attempts: 2 });
  return { job: await completed, sends };
}

test('a hold waits as a delayed job: no BullMQ attempt spent, then sent once', async () => {
  const events = new EventsRepository(db.prisma);
  const held: SendOutcome = { kind: 'held', provider: 'sms-test', error: 'circuit open', retryAfterMs: 300 };
  const started = Date.now();
  const { job, sends } = await deliver('9001', [held, held], events);
  expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  expect(sends).toHaveLength(3);
  // Run three times, one BullMQ attempt made: the completing one (the waits spent none).
  expect(job.attemptsStarted).toBe(3);
  expect(job.attemptsMade).toBe(1);
  const event = await events.find(9001n);
  expect(event).toMatchObject({ status: 'sent', nextAttemptAt: null });
  expect(event!.deliveries[0]).toMatchObject({ status: 'sent', attempts: 1, providerMessageId: 'm-3' });
});

test('the database fails right after the send: ridden out as a delayed job, never sent twice', async () => {
  const real = new EventsRepository(db.prisma);
  let failures = 0;
  // The real repository, with its first settle failing the way a dropped connection does.
  const flaky = Object.assign(Object.create(real) as EventsRepository, {
    settle: (...args: Parameters<EventsRepository['settle']>) => {
      if (failures++ === 0) return Promise.reject(new Error('Connection terminated unexpectedly'));
      return real.settle(...args);
    },
  });
  const { job, sends } = await deliver('9002', [], flaky);
  expect(sends).toHaveLength(1);
  expect(job.attemptsStarted).toBe(2);
  expect(job.attemptsMade).toBe(1);
  expect(job.data).toMatchObject({ sent: { provider: 'sms-test', providerMessageId: 'm-1' }, faults: 1 });
  const event = await real.find(9002n);
  expect(event).toMatchObject({ status: 'sent' });
  expect(event!.deliveries[0]).toMatchObject({ status: 'sent', attempts: 1, providerMessageId: 'm-1' });
});
