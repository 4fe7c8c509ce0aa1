/**
 * The coalescer against the running Redis: concurrent adds land as jobs with their own ids and
 * data, in bulks; a job id added again (a client's repeat, a late first add) stays one job; and
 * the intake's concurrent single events each get a stored job.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { EventIdGenerator, type Lane } from '@mc/core';
import { eventJobId } from '@mc/contracts';
import { AddCoalescer } from './add-coalescer';
import { EventIntake } from './event-intake';
import { createEventTypeCatalog } from './event-type-catalog';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let prefix: string;
let redis: Redis;
let queues: Record<Lane, Queue>;

beforeAll(async () => {
  prefix = `coalesce-${randomBytes(4).toString('hex')}`;
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  queues = {
    realtime: new Queue('events-realtime', { connection: redis, prefix }),
    batch: new Queue('events-batch', { connection: redis, prefix }),
  };
});

afterAll(async () => {
  for (const q of Object.values(queues)) await q.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

test('concurrent adds land in Redis as their own jobs, sent in bulks no larger than maxBatch', async () => {
  const sizes: number[] = [];
  const coalescer = new AddCoalescer(queues.batch, { maxBatch: 40, onFlush: (size) => sizes.push(size) });
  const jobs = await Promise.all(
    Array.from({ length: 100 }, (_, n) => coalescer.add('deliver', { n }, { jobId: `c-${n}`, attempts: 2, delay: n % 10 === 0 ? 60_000 : 0 })),
  );
  expect(jobs.map((j) => j.id)).toEqual(Array.from({ length: 100 }, (_, n) => `c-${n}`));
  expect(sizes).toEqual([40, 40, 20]);
  expect(await queues.batch.getJobCounts('waiting', 'delayed')).toEqual({ waiting: 90, delayed: 10 });
  const stored = await queues.batch.getJob('c-37');
  expect(stored?.data).toEqual({ n: 37 });
  expect(stored?.opts.attempts).toBe(2);
  await queues.batch.obliterate({ force: true });
});

test('a job id added twice, in one bulk or later, is one job with the first data', async () => {
  const coalescer = new AddCoalescer(queues.batch);
  const [first, again] = await Promise.all([coalescer.add('deliver', { v: 1 }, { jobId: 'same' }), coalescer.add('deliver', { v: 2 }, { jobId: 'same' })]);
  expect(first.id).toBe('same');
  expect(again.id).toBe('same');
  await coalescer.add('deliver', { v: 3 }, { jobId: 'same' });
  expect(await queues.batch.count()).toBe(1);
  expect((await queues.batch.getJob('same'))?.data).toEqual({ v: 1 });
  await queues.batch.obliterate({ force: true });
});

test('the intake: concurrent single events each get a stored job under their own id', async () => {
  const intake = new EventIntake({
    queues: { realtime: [queues.realtime], batch: [queues.batch] },
    redis,
    catalog: createEventTypeCatalog(async (key) => ({ id: 1, key, enabled: true, ctxSchema: null, maxAgeSeconds: null })),
    ids: new EventIdGenerator(9),
    keyPrefix: prefix,
    idempotencyTtlSeconds: 60,
    attempts: { email: 3, sms: 3, push: 3 },
  });
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, n) =>
      intake.accept([{ event: { type: 'ORDER', email: `c${n}@example.com`, externalId: `x-${n}` } }], 'realtime', 'key:1'),
    ),
  );
  const ids = results.map(([r]) => (r?.ok ? r.id : JSON.stringify(r)));
  expect(new Set(ids).size).toBe(50);
  for (const [n, id] of ids.entries()) {
    expect((await queues.realtime.getJob(eventJobId(id)))?.data).toMatchObject({ id, event: { externalId: `x-${n}` } });
  }
  expect(await queues.realtime.count()).toBe(50);
});
