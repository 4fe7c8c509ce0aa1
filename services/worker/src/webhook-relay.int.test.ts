/**
 * The outbox relay: a pending webhook message with no job (the enqueue after its settle was
 * lost) gets one under its own id after the grace period; one with a waiting job, or a
 * delivered one, is left alone; a repeat adds nothing.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { WEBHOOKS_QUEUE, webhookJob, webhookJobId } from '@mc/contracts';
import { createTestSchema, WebhooksRepository, type TestSchema } from '@mc/db';
import type { Logger } from '@mc/observability';
import { relayWebhookMessages } from './webhook-relay';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
jest.setTimeout(30_000);

let db: TestSchema;
let redis: Redis;
let queue: Queue;
const prefix = `relay-${randomBytes(4).toString('hex')}`;
const logger = { warn: () => undefined } as unknown as Logger;

beforeAll(async () => {
  db = await createTestSchema(DATABASE_URL);
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue(WEBHOOKS_QUEUE, { connection: redis, prefix });
});
afterAll(async () => {
  await queue.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await db.drop();
});

test('enqueues pending messages without a job, once, and leaves the rest', async () => {
  const webhooks = new WebhooksRepository(db.prisma);
  const endpoint = await webhooks.createEndpoint({ url: 'https://hooks.example.com/x', secret: 'sealed' });
  const lost = await webhooks.addMessage(endpoint.id, 'webhook.test', {});
  const queued = await webhooks.addMessage(endpoint.id, 'webhook.test', {});
  const done = await webhooks.addMessage(endpoint.id, 'webhook.test', {});
  await webhooks.recordAttempt(done, { delivered: true, final: true, responseCode: 204, error: null });
  const { name, data, opts } = webhookJob(queued.id, 0, 3);
  await queue.add(name, data, { ...opts, delay: 60_000 });

  const later = () => Date.now() + 120_000;
  // Within the grace period nothing is touched: the worker's own enqueue may be on its way.
  expect(await relayWebhookMessages({ webhooks, queue, retries: 3, logger })).toEqual({ checked: 0, enqueued: 0 });
  expect(await relayWebhookMessages({ webhooks, queue, retries: 3, logger, now: later })).toEqual({ checked: 2, enqueued: 1 });
  const job = await queue.getJob(webhookJobId(lost.id));
  expect(job?.data).toEqual({ v: 1, messageId: lost.id.toString() });
  expect(job?.opts.attempts).toBe(4);
  expect(await relayWebhookMessages({ webhooks, queue, retries: 3, logger, now: later })).toEqual({ checked: 2, enqueued: 0 });
});
