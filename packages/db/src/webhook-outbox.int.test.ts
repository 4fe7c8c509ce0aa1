/**
 * The webhook outbox as the status change writes it: one message per enabled endpoint whose
 * filter takes the new status, in the same statement, only when the transition happened;
 * the hook hears of exactly those rows. And the repository's delivery-log bookkeeping.
 */
import { createTestSchema, EventTypesRepository, EventsRepository, WebhooksRepository, type TestSchema } from './index';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

let db: TestSchema;
let events: EventsRepository;
let webhooks: WebhooksRepository;
let typeId: number;
let nextId = 5000n;
const announced: bigint[][] = [];

beforeAll(async () => {
  db = await createTestSchema(DATABASE_URL);
  events = new EventsRepository(db.prisma, { onWebhookMessages: (ids) => void announced.push(ids) });
  webhooks = new WebhooksRepository(db.prisma);
  typeId = (await new EventTypesRepository(db.prisma).create({ key: 'T', label: 'T' })).id;
});
afterAll(() => db.drop());
beforeEach(async () => {
  announced.length = 0;
  await db.prisma.webhookEndpoint.deleteMany({});
});

const newEvent = () => ({
  id: nextId++,
  eventTypeId: typeId,
  type: 'T',
  lane: 'realtime' as const,
  channel: 'email' as const,
  externalId: 'ext-1',
  payload: { type: 'T', email: 'a@example.com' },
  createdAt: new Date(),
});
const sentAttempt = {
  channel: 'email' as const,
  provider: 'smtp',
  deliveryStatus: 'sent' as const,
  providerMessageId: 'm-1',
  entry: { at: new Date().toISOString(), provider: 'smtp', outcome: 'sent' },
};
const messagesOf = (endpointId: number) => webhooks.listMessages(endpointId, { limit: 100 });

test('no endpoint: a settle writes nothing and announces nothing', async () => {
  const event = newEvent();
  await events.begin(event);
  expect(await events.settle(event.id, { status: 'sent', attempt: sentAttempt })).toBe(true);
  expect(await db.prisma.webhookMessage.count()).toBe(0);
  expect(announced).toEqual([]);
});

test('a settle writes one message per enabled endpoint whose filter takes the status, with the payload', async () => {
  const all = await webhooks.createEndpoint({ url: 'https://a.example/h', secret: 'sealed' });
  const sentOnly = await webhooks.createEndpoint({ url: 'https://b.example/h', types: ['event.sent'], secret: 'sealed' });
  const failedOnly = await webhooks.createEndpoint({ url: 'https://c.example/h', types: ['event.deliveryFailed'], secret: 'sealed' });
  const disabled = await webhooks.createEndpoint({ url: 'https://d.example/h', secret: 'sealed' });
  await webhooks.setEnabled(disabled.id, false, 'off');

  const event = newEvent();
  await events.begin(event);
  expect(await events.settle(event.id, { status: 'sent', attempt: sentAttempt })).toBe(true);

  const [toAll] = await messagesOf(all.id);
  expect(await messagesOf(sentOnly.id)).toHaveLength(1);
  expect(await messagesOf(failedOnly.id)).toHaveLength(0);
  expect(await messagesOf(disabled.id)).toHaveLength(0);
  expect(toAll).toMatchObject({
    type: 'event.sent',
    status: 'pending',
    attempts: 0,
    payload: {
      type: 'event.sent',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      data: { id: event.id.toString(), eventType: 'T', externalId: 'ext-1', status: 'sent', reason: null, channel: 'email', provider: 'smtp', time: expect.any(String) },
    },
  });
  expect(announced).toHaveLength(1);
  expect(announced[0]!.sort()).toEqual((await db.prisma.webhookMessage.findMany({ select: { id: true } })).map((r) => r.id).sort());
});

test('no message when the transition did not happen, nor when the event is only parked as pending', async () => {
  await webhooks.createEndpoint({ url: 'https://a.example/h', secret: 'sealed' });
  const event = newEvent();
  await events.begin(event);
  expect(await events.settle(event.id, { status: 'pending', reason: 'retry', nextAttemptAt: new Date() })).toBe(true);
  expect(await db.prisma.webhookMessage.count()).toBe(0);
  await events.begin(event);
  await events.settle(event.id, { status: 'deliveryFailed', reason: 'Refused: 550' });
  expect(await db.prisma.webhookMessage.count()).toBe(1);
  // A late duplicate changes nothing, so it tells nobody anything.
  expect(await events.settle(event.id, { status: 'sent', attempt: sentAttempt })).toBe(false);
  expect(await db.prisma.webhookMessage.count()).toBe(1);
  expect(announced).toHaveLength(1);
});

test('settleJob and recordFeedback write their messages too, feedback only forward', async () => {
  const endpoint = await webhooks.createEndpoint({ url: 'https://a.example/h', secret: 'sealed' });
  const event = newEvent();
  expect(
    await events.settleJob({ ...event, generation: 0, status: 'sent', reason: null, attempt: sentAttempt }),
  ).toBe(true);
  expect(await events.recordFeedback(event.id, 'bounced', '550 5.1.1 no such user')).toBe(true);
  expect(await events.recordFeedback(event.id, 'complained', 'abuse report')).toBe(true);
  expect(await events.recordFeedback(event.id, 'bounced', 'late bounce')).toBe(false);
  const types = (await messagesOf(endpoint.id)).map((m) => m.type).reverse();
  expect(types).toEqual(['event.sent', 'event.bounced', 'event.complained']);
  const bounced = (await messagesOf(endpoint.id)).find((m) => m.type === 'event.bounced')!;
  expect(bounced.payload).toMatchObject({ data: { status: 'bounced', reason: '550 5.1.1 no such user', provider: 'smtp' } });
});

test('the delivery log: attempts, the failure run, replay, the relay query and retention', async () => {
  const endpoint = await webhooks.createEndpoint({ url: 'https://a.example/h', secret: 'sealed' });
  const message = await webhooks.addMessage(endpoint.id, 'webhook.test', { type: 'webhook.test' });
  const first = await webhooks.recordAttempt(message, { delivered: false, final: false, responseCode: 500, error: 'HTTP 500', nextAttemptAt: new Date() });
  expect(first.failingSince).toBeInstanceOf(Date);
  const second = await webhooks.recordAttempt(message, { delivered: false, final: false, responseCode: 503, error: 'HTTP 503' });
  expect(second.failingSince).toEqual(first.failingSince);
  expect(await webhooks.replay(endpoint.id, message.id)).toBeUndefined(); // still pending
  expect((await webhooks.recordAttempt(message, { delivered: true, final: true, responseCode: 204, error: null })).failingSince).toBeNull();
  expect(await webhooks.findMessage(message.id)).toMatchObject({ status: 'delivered', attempts: 3, responseCode: 204, deliveredAt: expect.any(Date) });

  const replayed = await webhooks.replay(endpoint.id, message.id);
  expect(replayed).toMatchObject({ status: 'pending', replays: 1 });
  expect(await webhooks.findPending(new Date(Date.now() + 1000), 10)).toEqual([{ id: message.id, replays: 1 }]);
  expect(await webhooks.findPending(new Date(Date.now() - 60_000), 10)).toEqual([]);

  await webhooks.failMessage(message.id, 'The endpoint is disabled');
  expect(await webhooks.purgeBefore(new Date(Date.now() + 1000))).toBe(1);
  expect(await webhooks.findMessage(message.id)).toBeUndefined();
});

test('rotation keeps the old secret as the previous one until the overlap ends', async () => {
  const endpoint = await webhooks.createEndpoint({ url: 'https://a.example/h', secret: 'sealed-1' });
  const until = new Date(Date.now() + 86_400_000);
  expect(await webhooks.rotateSecret(endpoint.id, 'sealed-2', until)).toMatchObject({ secret: 'sealed-2', previousSecret: 'sealed-1', previousSecretExpiresAt: until });
  await expect(webhooks.rotateSecret(999_999, 'x', until)).rejects.toThrow(/not found/);
});
