/**
 * POST /v1/events and /v1/events/batch over a real socket: idempotency as a client sees it
 * (the same key with another body is 422 naming the header or the item's key), the single
 * route judged exactly like a batch item, and values kept as sent.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@mc/config';
import { createTestSchema, type TestSchema } from '@mc/db';
import { eventJobId } from '@mc/contracts';
import { createLogger, createIngestMetrics } from '@mc/observability';
import { createIngestContext, type IngestContext } from '../context';
import { buildApp } from '../app';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const ADMIN = `admin-${randomBytes(8).toString('hex')}`;

let db: TestSchema;
let ctx: IngestContext;
let app: Awaited<ReturnType<typeof buildApp>>;
let base: string;
let prefix: string;
let metrics: ReturnType<typeof createIngestMetrics>;

async function post(path: string, body: unknown, headers: Record<string, string> = {}, key = ADMIN) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as any };
}

beforeAll(async () => {
  db = await createTestSchema(DATABASE_URL);
  prefix = `routes-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({ DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL, QUEUE_PREFIX: prefix, MC_ADMIN_KEY: ADMIN, SMTP_URL: 'smtp://127.0.0.1:1' });
  const logger = createLogger({ name: 'test', level: 'silent' });
  metrics = createIngestMetrics();
  ctx = await createIngestContext(config, logger, metrics);
  app = await buildApp({ ctx, logger, metrics });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`;
  expect((await post('/v1/event-types', { key: 'ORDER', label: 'order' })).status).toBe(201);
});

afterAll(async () => {
  await app?.close();
  if (ctx?.redis.status === 'ready') {
    const keys = await ctx.redis.keys(`${prefix}:*`);
    if (keys.length) await ctx.redis.del(...keys);
  }
  await ctx?.close();
  await db?.drop();
});

const order = (extra: Record<string, unknown> = {}) => ({ type: 'ORDER', email: 'ann@example.com', ctx: { order: 'A-1' }, ...extra });

test('a repeated Idempotency-Key with the same body answers the first id; with another body 422 naming the header', async () => {
  const key = `k-${randomBytes(4).toString('hex')}`;
  const first = await post('/v1/events', order(), { 'idempotency-key': key });
  expect(first.status).toBe(202);
  const same = await post('/v1/events', { ctx: { order: 'A-1' }, type: 'ORDER', email: 'ann@example.com' }, { 'idempotency-key': key });
  expect(same).toMatchObject({ status: 202, body: { id: first.body.id, status: 'pending' } });
  const other = await post('/v1/events', order({ ctx: { order: 'A-2' } }), { 'idempotency-key': key });
  expect(other.status).toBe(422);
  expect(other.type).toMatch(/^application\/problem\+json/);
  expect(other.body).toMatchObject({
    type: 'urn:message-center:problem:idempotency-key-reuse',
    detail: expect.stringContaining(first.body.id),
    errors: [{ path: 'headers/idempotency-key', message: 'already used with a different body' }],
  });
  expect(await ctx.queues.realtime[0]!.count()).toBe(1);
});

test('batch items: the same idempotencyKey with another body is a 422 problem in that item, the rest go through', async () => {
  const key = `b-${randomBytes(4).toString('hex')}`;
  const first = await post('/v1/events/batch', { events: [order({ idempotencyKey: key })] });
  expect(first.body.accepted).toBe(1);
  const again = await post('/v1/events/batch', {
    events: [order({ idempotencyKey: key }), order({ idempotencyKey: key, email: 'bob@example.com' }), order()],
  });
  expect(again.status).toBe(202);
  expect(again.body).toMatchObject({ accepted: 2, rejected: 1 });
  expect(again.body.results[0]).toEqual({ index: 0, id: first.body.results[0].id, status: 'pending' });
  expect(again.body.results[1].error).toMatchObject({
    status: 422,
    type: 'urn:message-center:problem:idempotency-key-reuse',
    errors: [{ path: '/events/1/idempotencyKey', message: 'already used with a different body' }],
  });
});

test('the single route is judged exactly like a batch item: same status, same message, paths under body', async () => {
  const bad = { type: 'ORDER', email: ['ann@example.com'], mobilePhone: '12ab', externalId: true };
  const single = await post('/v1/events', bad);
  const batch = await post('/v1/events/batch', { events: [bad] });
  expect(single.status).toBe(400);
  const item = batch.body.results[0].error;
  expect(single.body.errors.map((e: { path: string }) => e.path.replace(/^body/, ''))).toEqual(
    item.errors.map((e: { path: string }) => e.path.replace(/^\/events\/0/, '')),
  );
  expect(single.body.errors.map((e: { message: string }) => e.message)).toEqual(item.errors.map((e: { message: string }) => e.message));
  expect(single.body.errors.map((e: { path: string }) => e.path)).toEqual(['body/email', 'body/externalId', 'body/mobilePhone']);
});

test('values are kept as sent: no coercion, and the job carries the event as given', async () => {
  const sent = order({ externalId: '00042', origin: 'true', mobilePhone: '+46 70-123 45 67', locale: 'sv', ctx: { n: '1', list: ['a'], flag: false } });
  const accepted = await post('/v1/events', sent);
  expect(accepted.status).toBe(202);
  const job = await ctx.queues.realtime[0]!.getJob(eventJobId(accepted.body.id));
  expect(job?.data.event).toEqual(sent);
});

test('a web-push endpoint the outbound policy refuses is answered 422 at the door, single and batch, naming the policy', async () => {
  const keys = { p256dh: `B${'A'.repeat(86)}`, auth: 'AAAAAAAAAAAAAAAAAAAAAA' };
  const push = (endpoint: string) => ({ type: 'ORDER', wishedChannel: 'push', push: { webPush: { endpoint, keys } } });
  for (const endpoint of ['https://127.0.0.1:5432/', 'https://169.254.169.254/latest', 'https://[::ffff:127.0.0.1]/x', 'https://10.0.0.1/']) {
    const single = await post('/v1/events', push(endpoint));
    expect(single.status).toBe(422);
    expect(single.body).toMatchObject({
      detail: expect.stringContaining('outbound policy'),
      errors: [expect.objectContaining({ path: expect.stringContaining('push/webPush/endpoint') })],
    });
  }
  const batch = await post('/v1/events/batch', { events: [push('https://127.0.0.1:1/'), order()] });
  expect(batch.status).toBe(202);
  expect(batch.body).toMatchObject({ accepted: 1, rejected: 1, results: [{ index: 0, error: { status: 422 } }, { index: 1, status: 'pending' }] });
});

test('accepted events are counted per lane; a repeat of a header in a request is refused by name, whatever its case', async () => {
  const counted = async (lane: string) => (await metrics.eventsAccepted.get()).values.find((v) => v.labels.lane === lane)?.value ?? 0;
  const [realtime, batch] = [await counted('realtime'), await counted('batch')];
  expect((await post('/v1/events', order())).status).toBe(202);
  expect((await post('/v1/events/batch', { events: [order(), order()] })).body.accepted).toBe(2);
  expect([await counted('realtime'), await counted('batch')]).toEqual([realtime + 1, batch + 2]);

  // fetch joins repeated headers; a raw request sends the key twice, in two spellings.
  const body = JSON.stringify(order());
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(new URL(base).port), '127.0.0.1', () => {
      socket.end(
        `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN}\r\nContent-Type: application/json\r\n` +
          `Idempotency-Key: a\r\nidempotency-key: b\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  expect(raw).toMatch(/^HTTP\/1\.1 400/);
  expect(raw).toContain('sent 2 times');
});
