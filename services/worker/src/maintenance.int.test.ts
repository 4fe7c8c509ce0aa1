import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createTestSchema, EventTypesRepository, EventsRepository, type TestSchema } from '@mc/db';
import type { Logger } from '@mc/observability';
import { startMaintenance } from './maintenance';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DAY = 86_400_000;

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

test('the scheduled purge deletes finished events past retention, keeps pending and recent ones', async () => {
  const type = await new EventTypesRepository(db.prisma).create({ key: 'T', label: 'T' });
  const events = new EventsRepository(db.prisma);
  const add = async (id: bigint, ageDays: number, status: 'sent' | 'pending') => {
    await events.begin({ id, eventTypeId: type.id, type: 'T', lane: 'realtime', channel: 'email', payload: {}, createdAt: new Date(Date.now() - ageDays * DAY) });
    await events.settle(id, { status });
  };
  await add(1n, 40, 'sent');
  await add(2n, 40, 'pending');
  await add(3n, 5, 'sent');

  const logger = { info: () => undefined } as unknown as Logger;
  const maintenance = await startMaintenance({ connection: redis, prefix, retentionDays: 30, events, logger });
  try {
    const deadline = Date.now() + 10_000;
    while ((await events.find(1n)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await events.find(1n)).toBeUndefined();
    expect((await events.find(2n))?.status).toBe('pending');
    expect((await events.find(3n))?.status).toBe('sent');
  } finally {
    await maintenance.close();
  }
});

test('purgeFinishedBefore works through a backlog in batches', async () => {
  const type = await new EventTypesRepository(db.prisma).create({ key: 'U', label: 'U' });
  const events = new EventsRepository(db.prisma);
  for (let i = 0; i < 7; i++) {
    const id = BigInt(100 + i);
    await events.begin({ id, eventTypeId: type.id, type: 'U', lane: 'batch', channel: 'email', payload: {}, createdAt: new Date(Date.now() - 10 * DAY) });
    await events.settle(id, { status: 'deliveryFailed', reason: 'x' });
  }
  expect(await events.purgeFinishedBefore(new Date(Date.now() - 6 * DAY), 3)).toBe(7);
});
