/**
 * The state machine as the database applies it: every transition is one conditional statement,
 * so terminal statuses are never overwritten, stale generations change nothing, and of
 * concurrent re-drives exactly one wins.
 */
import { createTestSchema, EventTypesRepository, EventsRepository, type TestSchema } from './index';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

let db: TestSchema;
let events: EventsRepository;
let typeId: number;
let nextId = 1000n;

beforeAll(async () => {
  db = await createTestSchema(DATABASE_URL);
  events = new EventsRepository(db.prisma);
  typeId = (await new EventTypesRepository(db.prisma).create({ key: 'T', label: 'T' })).id;
});
afterAll(() => db.drop());

const newEvent = (generation = 0) => ({
  id: nextId++,
  eventTypeId: typeId,
  type: 'T',
  lane: 'realtime' as const,
  channel: 'email' as const,
  payload: { type: 'T', email: 'a@example.com' },
  createdAt: new Date(),
  generation,
});

const attempt = (deliveryStatus: 'sent' | 'failed' | 'pending') => ({
  channel: 'email' as const,
  provider: 'smtp',
  deliveryStatus,
  entry: { at: new Date().toISOString(), provider: 'smtp', outcome: deliveryStatus === 'sent' ? 'sent' : 'transient' },
  ...(deliveryStatus === 'sent' ? { providerMessageId: 'm-1' } : { error: 'x' }),
});

test('begin takes a new or open event, and refuses a terminal one without touching it', async () => {
  const event = newEvent();
  expect(await events.begin(event)).toMatchObject({ taken: true, priorStatus: undefined });
  expect(await events.begin(event)).toMatchObject({ taken: true, priorStatus: 'processing' });
  expect(await events.settle(event.id, { status: 'sent', attempt: attempt('sent') })).toBe(true);

  const again = await events.begin(event);
  expect(again).toMatchObject({ taken: false, priorStatus: 'sent', delivery: { status: 'sent' } });
  expect(await events.find(event.id)).toMatchObject({ status: 'sent', reason: null });
});

test('a terminal status is never overwritten by a settle, and the refused settle says so', async () => {
  const event = newEvent();
  await events.begin(event);
  await events.settle(event.id, { status: 'deliveryFailed', reason: 'Refused by smtp: 550' });
  for (const status of ['sent', 'pending', 'processing', 'tooOld', 'ignored'] as const) {
    expect(await events.settle(event.id, { status, reason: 'late' })).toBe(false);
  }
  expect(await events.find(event.id)).toMatchObject({ status: 'deliveryFailed', reason: 'Refused by smtp: 550' });
});

test('a refused settle still records the attempt it reports, and a recorded send stays sent', async () => {
  const event = newEvent();
  await events.begin(event);
  await events.settle(event.id, { status: 'sent', attempt: attempt('sent') });
  expect(await events.settle(event.id, { status: 'deliveryFailed', reason: 'dup', attempt: attempt('failed') })).toBe(false);
  const found = await events.find(event.id);
  expect(found).toMatchObject({ status: 'sent' });
  expect(found!.deliveries[0]).toMatchObject({ status: 'sent', attempts: 2, providerMessageId: 'm-1' });
});

test('concurrent re-drives: exactly one wins and starts the next generation', async () => {
  const event = newEvent();
  await events.begin(event);
  await events.settle(event.id, { status: 'deliveryFailed', reason: 'x' });
  const results = await Promise.all([1, 2, 3, 4, 5].map(() => events.redrive(event.id)));
  const winners = results.filter((r) => r !== undefined);
  expect(winners).toHaveLength(1);
  expect(winners[0]).toMatchObject({ id: event.id, generation: 1, lane: 'realtime', channel: 'email', priorStatus: 'deliveryFailed', priorReason: 'x' });
  expect(await events.find(event.id)).toMatchObject({ status: 'pending', generation: 1 });
  // Not from pending, nor from sent.
  expect(await events.redrive(event.id)).toBeUndefined();
});

test('a re-drive whose enqueue failed is undone, keeping its generation counted', async () => {
  const event = newEvent();
  await events.begin(event);
  await events.settle(event.id, { status: 'targetingFailed', reason: 'no address' });
  const redriven = (await events.redrive(event.id))!;
  expect(await events.undoRedrive(redriven)).toBe(true);
  expect(await events.find(event.id)).toMatchObject({ status: 'targetingFailed', reason: 'no address', generation: 1 });
  // A job of that generation that reached Redis anyway finds it ended.
  expect(await events.begin({ ...event, generation: 1 })).toMatchObject({ taken: false });
  expect((await events.redrive(event.id))!.generation).toBe(2);
});

test('a job of an older generation neither takes nor settles the re-driven event', async () => {
  const event = newEvent();
  await events.begin(event);
  await events.settle(event.id, { status: 'routingFailed', reason: 'no template' });
  await events.redrive(event.id);
  expect(await events.begin({ ...event, generation: 0 })).toMatchObject({ taken: false, priorStatus: 'pending' });
  expect(await events.settle(event.id, { status: 'deliveryFailed', reason: 'stale', generation: 0 })).toBe(false);
  expect(await events.begin({ ...event, generation: 1 })).toMatchObject({ taken: true, priorStatus: 'pending' });
  expect(await events.settle(event.id, { status: 'sent', generation: 1 })).toBe(true);
});

test('feedback moves forward only: sent → bounced → complained, never back', async () => {
  const event = newEvent();
  await events.begin(event);
  expect(await events.recordFeedback(event.id, 'bounced', 'early')).toBe(false); // not sent yet
  await events.settle(event.id, { status: 'sent' });
  expect(await events.recordFeedback(event.id, 'bounced', '550 mailbox gone')).toBe(true);
  expect(await events.recordFeedback(event.id, 'complained', 'ARF abuse report')).toBe(true);
  expect(await events.recordFeedback(event.id, 'bounced', 'late bounce')).toBe(false);
  expect(await events.find(event.id)).toMatchObject({ status: 'complained', reason: 'ARF abuse report' });
  expect(await events.redrive(event.id)).toBeUndefined();
});

test('settleJob ends a job that never reached a worker, creating its row', async () => {
  const event = newEvent();
  const ended = await events.settleJob({
    id: event.id,
    generation: 0,
    type: 'T',
    lane: 'batch',
    channel: 'email',
    payload: event.payload,
    createdAt: event.createdAt,
    status: 'sent',
    reason: 'recorded from its job',
    attempt: attempt('sent'),
  });
  expect(ended).toBe(true);
  const found = await events.find(event.id);
  expect(found).toMatchObject({ status: 'sent', lane: 'batch' });
  expect(found!.deliveries[0]).toMatchObject({ status: 'sent', providerMessageId: 'm-1' });
  // An ended event is not ended twice.
  expect(
    await events.settleJob({ ...event, lane: 'batch', status: 'deliveryFailed', reason: 'lost', generation: 0, type: 'T' }),
  ).toBe(false);
});

test('findStale lists open events untouched since the cutoff and not waiting for a later retry', async () => {
  const stale = newEvent();
  await events.begin(stale);
  const waiting = newEvent();
  await events.begin(waiting);
  await events.settle(waiting.id, { status: 'pending', nextAttemptAt: new Date(Date.now() + 3_600_000) });
  const ended = newEvent();
  await events.begin(ended);
  await events.settle(ended.id, { status: 'sent' });
  const found = await events.findStale(new Date(Date.now() + 1000), 100);
  const ids = found.map((e) => e.id);
  expect(ids).toContain(stale.id);
  expect(ids).not.toContain(waiting.id);
  expect(ids).not.toContain(ended.id);
  expect(found.find((e) => e.id === stale.id)).toMatchObject({ status: 'processing', generation: 0, attempts: 0, lane: 'realtime' });
  expect(await events.findStale(new Date(Date.now() - 60_000), 100)).toEqual([]);
});
