/**
 * The partitioned event log against a real Postgres: days created ahead, rows of a day without
 * a partition caught by the default partition and moved into their day when it is created,
 * retention by dropping whole days while open events (and their deliveries) are kept, and time
 * filters that read only the days they cover (checked on EXPLAIN).
 */
import { firstEventIdAt } from '@mc/core';
import { dayOf, type EventLogDay } from './event-log-days';
import {
  createTestSchema,
  eventIdRange,
  EventLogPartitionsRepository,
  EventTypesRepository,
  EventsRepository,
  type AttemptRecord,
  type TestSchema,
} from './index';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const DAY = 86_400_000;
jest.setTimeout(60_000);

let db: TestSchema;
let events: EventsRepository;
let partitions: EventLogPartitionsRepository;
let typeId: number;
let sequence = 0n;

beforeAll(async () => {
  db = await createTestSchema(DATABASE_URL);
  events = new EventsRepository(db.prisma);
  partitions = new EventLogPartitionsRepository(db.prisma);
  typeId = (await new EventTypesRepository(db.prisma).create({ key: 'T', label: 'T' })).id;
});
afterAll(() => db.drop());

/** A fresh event id of the given time, as the intake would have drawn it. */
const idAt = (time: number) => firstEventIdAt(time) + ++sequence;

const attempt = (deliveryStatus: 'sent' | 'pending'): AttemptRecord => ({
  channel: 'email',
  provider: 'smtp',
  deliveryStatus,
  entry: { at: new Date().toISOString(), provider: 'smtp', outcome: deliveryStatus === 'sent' ? 'sent' : 'transient' },
  ...(deliveryStatus === 'sent' ? { providerMessageId: `m-${sequence}` } : { error: 'busy' }),
});

/** An event taken by a worker at `time`, left in `status` with a delivery row. */
async function eventAt(time: number, status: 'sent' | 'pending' | 'processing' | 'deliveryFailed'): Promise<bigint> {
  const id = idAt(time);
  await events.begin({ id, eventTypeId: typeId, type: 'T', lane: 'realtime', channel: 'email', payload: { n: String(id) }, createdAt: new Date(time) });
  if (status === 'processing') {
    await events.settle(id, { status: 'processing', attempt: attempt('pending') });
  } else {
    await events.settle(id, { status, ...(status === 'deliveryFailed' ? { reason: 'x' } : {}), attempt: attempt(status === 'sent' ? 'sent' : 'pending') });
  }
  return id;
}

/** The partition each table keeps the event (and its delivery) in; undefined when gone. */
async function whereIs(id: bigint): Promise<{ event?: string; delivery?: string }> {
  const [event] = await db.prisma.$queryRawUnsafe<{ part: string }[]>(`SELECT tableoid::regclass::text AS part FROM "events" WHERE "id" = $1`, id);
  const [delivery] = await db.prisma.$queryRawUnsafe<{ part: string }[]>(`SELECT tableoid::regclass::text AS part FROM "deliveries" WHERE "eventId" = $1`, id);
  const bare = (name: string | undefined) => name?.replace(/^.*\./, '');
  return { event: bare(event?.part), delivery: bare(delivery?.part) };
}

const inDay = (day: EventLogDay) => ({ event: `events_p${day.suffix}`, delivery: `deliveries_p${day.suffix}` });
const IN_DEFAULT = { event: 'events_default', delivery: 'deliveries_default' };

test('the migration made today and the next two days; ensureDays adds days ahead, once', async () => {
  const now = Date.now();
  expect(await partitions.ensureDays(new Date(now), 2)).toEqual({ createdDays: [], movedFromDefault: 0 });

  const later = now + 20 * DAY;
  const result = await partitions.ensureDays(new Date(later), 1);
  expect(result).toEqual({ createdDays: [dayOf(later).suffix, dayOf(later + DAY).suffix], movedFromDefault: 0 });
  expect(await partitions.ensureDays(new Date(later), 1)).toEqual({ createdDays: [], movedFromDefault: 0 });
  // Both tables get the day, with the same bounds.
  const names = (await partitions.list('deliveries')).map((p) => p.name);
  expect(names).toContain(`deliveries_p${dayOf(later + DAY).suffix}`);
  expect(await partitions.list('deliveries')).toHaveLength((await partitions.list('events')).length);
});

test('an event of a day without a partition lands in the default partition, and moves into its day when it is created', async () => {
  const time = Date.now() + 40 * DAY;
  const open = await eventAt(time, 'processing');
  const ended = await eventAt(time + 3_600_000, 'sent');
  const nextDay = await eventAt(time + DAY, 'sent'); // a day still without a partition afterwards
  expect(await whereIs(open)).toEqual(IN_DEFAULT);

  expect(await partitions.ensureDays(new Date(time), 0)).toEqual({ createdDays: [dayOf(time).suffix], movedFromDefault: 2 });

  expect(await whereIs(open)).toEqual(inDay(dayOf(time)));
  expect(await whereIs(ended)).toEqual(inDay(dayOf(time)));
  expect(await whereIs(nextDay)).toEqual(IN_DEFAULT);
  // The moved event carries on where it was: settled in its new partition, delivery and all.
  expect(await events.settle(open, { status: 'sent', attempt: attempt('sent') })).toBe(true);
  expect(await events.find(open)).toMatchObject({ status: 'sent', deliveries: [{ status: 'sent', attempts: 2 }] });
});

test('retention drops whole days past the cutoff, keeping open events with their deliveries', async () => {
  const now = Date.now();
  const old = now - 40 * DAY;
  const oldDay = dayOf(old);
  await partitions.createDay(oldDay);
  const sent = await eventAt(old, 'sent');
  const failed = await eventAt(old + 60_000, 'deliveryFailed');
  const pending = await eventAt(old + 120_000, 'pending');
  const processing = await eventAt(old + 180_000, 'processing');
  // Older still and without a partition of its day: in the default one.
  const strayEnded = await eventAt(now - 50 * DAY, 'sent');
  const strayOpen = await eventAt(now - 50 * DAY, 'pending');
  // The cutoff's own day is kept whole (dropped only once all of it is past retention).
  const cutoff = now - 30 * DAY;
  await partitions.createDay(dayOf(cutoff));
  const onCutoffDay = await eventAt(dayOf(cutoff).index * DAY + Date.UTC(2024, 0, 1), 'sent');
  const recent = await eventAt(now, 'sent');
  expect(await whereIs(sent)).toEqual(inDay(oldDay));

  const result = await partitions.retainSince(new Date(cutoff));

  expect(result).toEqual({ droppedDays: [oldDay.suffix], keptEvents: 2, deletedFromDefault: 1 });
  expect((await partitions.list()).map((p) => p.name)).not.toContain(`events_p${oldDay.suffix}`);
  expect((await partitions.list('deliveries')).map((p) => p.name)).not.toContain(`deliveries_p${oldDay.suffix}`);
  for (const id of [sent, failed, strayEnded]) expect(await whereIs(id)).toEqual({});
  for (const id of [pending, processing, strayOpen]) expect(await whereIs(id)).toEqual(IN_DEFAULT);
  expect(await whereIs(onCutoffDay)).toEqual(inDay(dayOf(cutoff)));
  expect(await whereIs(recent)).toEqual(inDay(dayOf(now)));
  // A kept event is whole (payload, delivery log) and still ends normally.
  expect(await events.find(pending)).toMatchObject({ status: 'pending', payload: { n: String(pending) }, deliveries: [{ attempts: 1 }] });
  expect(await events.settle(processing, { status: 'sent', attempt: attempt('sent') })).toBe(true);
  // Run again: nothing more to drop; the kept event, now finished, goes with the default's purge.
  expect(await partitions.retainSince(new Date(cutoff))).toEqual({ droppedDays: [], keptEvents: 0, deletedFromDefault: 1 });
  expect(await whereIs(processing)).toEqual({});
});

test('a time filter reads only the days it covers (EXPLAIN), and lists the same events', async () => {
  const now = Date.now();
  const yesterday = now - DAY;
  await partitions.createDay(dayOf(yesterday));
  const a = await eventAt(yesterday, 'sent');
  const b = await eventAt(now, 'sent');
  const since = new Date(dayOf(now).index * DAY + Date.UTC(2024, 0, 1) + 3_600_000); // today, 01:00 UTC
  const until = new Date(since.getTime() + 3_600_000);
  const range = eventIdRange({ since, until });

  await db.prisma.$executeRawUnsafe('ANALYZE "events"');
  const plan = (
    await db.prisma.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(
      `EXPLAIN SELECT "id" FROM "events" WHERE "createdAt" >= $1 AND "createdAt" < $2 AND "id" >= $3 AND "id" < $4 ORDER BY "id" DESC LIMIT 50`,
      since,
      until,
      range.gte,
      range.lt,
    )
  )
    .map((r) => r['QUERY PLAN'])
    .join('\n');
  const scanned = [...new Set(plan.match(/events_(?:p\d{8}|default)/g))];
  expect(scanned).toEqual([`events_p${dayOf(now).suffix}`]);

  // The same filter through the repository: the widened id range never loses an event of the window.
  const inWindow = await eventAt(since.getTime() + 60_000, 'sent');
  const listed = await events.list({ since, until, limit: 50 });
  expect(listed.map((e) => e.id)).toEqual([inWindow]);
  expect((await events.list({ since: new Date(yesterday - 60_000), limit: 50 })).map((e) => e.id)).toEqual(
    expect.arrayContaining([a, b, inWindow]),
  );
});

test('Prisma works on the partitioned tables: create, update and upsert with RETURNING', async () => {
  const id = idAt(Date.now());
  const created = await db.prisma.event.create({
    data: { id, eventTypeId: typeId, type: 'T', lane: 'batch', status: 'pending', payload: {}, createdAt: new Date() },
  });
  expect(created.id).toBe(id);
  expect((await db.prisma.event.update({ where: { id }, data: { status: 'processing' } })).status).toBe('processing');
  const delivery = await db.prisma.delivery.upsert({
    where: { eventId_channel: { eventId: id, channel: 'sms' } },
    create: { eventId: id, channel: 'sms', provider: 'sns', status: 'pending' },
    update: { attempts: { increment: 1 } },
  });
  expect(delivery.id).toBeGreaterThan(0);
  const again = await db.prisma.delivery.upsert({
    where: { eventId_channel: { eventId: id, channel: 'sms' } },
    create: { eventId: id, channel: 'sms', provider: 'sns', status: 'pending' },
    update: { attempts: { increment: 1 } },
  });
  expect(again).toMatchObject({ id: delivery.id, attempts: 1 });
  expect(await whereIs(id)).toEqual(inDay(dayOf(Date.now())));
});

test('the clients run without JIT: a statement over every partition is costed high, but runs in a millisecond', async () => {
  expect(await db.prisma.$queryRawUnsafe('SHOW jit')).toEqual([{ jit: 'off' }]);
});

test('a past day within retention whose events landed in the default partition gets its partition; older days do not', async () => {
  const now = Date.now();
  const recentPast = now - 3 * DAY;
  const pastRetention = now - 10 * DAY;
  const caughtUp = await eventAt(recentPast, 'sent');
  const tooOld = await eventAt(pastRetention, 'pending');
  expect(await whereIs(caughtUp)).toEqual(IN_DEFAULT);

  const result = await partitions.ensureDays(new Date(now), 0, new Date(now - 7 * DAY));

  expect(result).toEqual({ createdDays: [dayOf(recentPast).suffix], movedFromDefault: 1 });
  expect(await whereIs(caughtUp)).toEqual(inDay(dayOf(recentPast)));
  expect(await whereIs(tooOld)).toEqual(IN_DEFAULT);
});
