/**
 * Group commit of `begin` and `settle` against the real database: concurrent calls share one
 * statement, yet each caller gets exactly the answer its own statement would have given — and
 * one bad row fails its own caller only.
 */
import {
  createPrismaClient,
  createTestSchema,
  EventTypesRepository,
  EventsRepository,
  pgPoolOf,
  SuppressionsRepository,
  type NewEvent,
  type SqlPool,
  type TestSchema,
} from './index';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

let db: TestSchema;
let typeId: number;
let nextId = 5000n;

beforeAll(async () => {
  db = await createTestSchema(DATABASE_URL);
  typeId = (await new EventTypesRepository(db.prisma).create({ key: 'G', label: 'G' })).id;
});
afterAll(() => db.drop());

const newEvent = (extra: Partial<NewEvent> = {}): NewEvent => ({
  id: nextId++,
  eventTypeId: typeId,
  type: 'G',
  lane: 'batch',
  channel: 'email',
  payload: { type: 'G', email: 'a@example.com' },
  createdAt: new Date('2026-01-02T03:04:05.678Z'),
  ...extra,
});

const sentAttempt = (provider: string) => ({
  channel: 'email' as const,
  provider,
  deliveryStatus: 'sent' as const,
  entry: { at: '2026-01-02T03:04:06.789Z', provider, outcome: 'sent' },
  providerMessageId: `m-${provider}`,
});

/** Counts the statements a repository sends, by wrapping the pg pool its hot statements use. */
function countingRepository(options: ConstructorParameters<typeof EventsRepository>[1] = {}) {
  const statements: number[] = [];
  const pool = pgPoolOf(db.prisma)!;
  const counting: SqlPool = {
    query: ((...args: Parameters<SqlPool['query']>) => {
      statements.push(1);
      return (pool.query as (...a: unknown[]) => unknown)(...args);
    }) as SqlPool['query'],
  };
  return { events: new EventsRepository(db.prisma, { ...options, pool: counting }), statements };
}

test('concurrent begins share one statement, and each caller gets its own row', async () => {
  const setup = new EventsRepository(db.prisma);
  const ended = newEvent();
  await setup.begin(ended);
  await setup.settle(ended.id, { status: 'sent', attempt: sentAttempt('smtp-a') });
  const suppressedAddress = `blocked-${nextId}@example.com`;
  await new SuppressionsRepository(db.prisma).upsert({ channel: 'email', address: suppressedAddress, reason: 'hard bounce' });
  const open = newEvent();
  await setup.begin(open);

  const { events, statements } = countingRepository();
  const fresh = newEvent({ scheduledAt: new Date('2026-01-03T00:00:00.001Z'), expiresAt: new Date('2026-01-04T00:00:00.002Z') });
  const suppressed = newEvent({ suppressionAddress: suppressedAddress });
  const [a, b, c, d] = await Promise.all([events.begin(fresh), events.begin(ended), events.begin(suppressed), events.begin(open)]);

  expect(statements).toHaveLength(1);
  expect(a).toEqual({ taken: true, priorStatus: undefined, delivery: undefined, suppressedReason: undefined });
  expect(b).toEqual({ taken: false, priorStatus: 'sent', delivery: { status: 'sent', provider: 'smtp-a', attempts: 1 }, suppressedReason: undefined });
  expect(c).toMatchObject({ taken: true, suppressedReason: 'hard bounce' });
  expect(d).toMatchObject({ taken: true, priorStatus: 'processing' });

  // Timestamps land as given, whatever the batch's encoding.
  const row = await setup.find(fresh.id);
  expect(row).toMatchObject({
    status: 'processing',
    scheduledAt: fresh.scheduledAt,
    expiresAt: fresh.expiresAt,
    createdAt: fresh.createdAt,
  });
});

test('two begins of one event go to different statements, the second seeing the first', async () => {
  const { events, statements } = countingRepository();
  const event = newEvent();
  const [first, second] = await Promise.all([events.begin(event), events.begin(event)]);
  expect(statements).toHaveLength(2);
  expect(first).toMatchObject({ taken: true, priorStatus: undefined });
  expect(second).toMatchObject({ taken: true, priorStatus: 'processing' });
});

test('concurrent settles share one statement: each applied or refused on its own, attempts recorded, webhooks announced once', async () => {
  const announced: bigint[][] = [];
  const setup = new EventsRepository(db.prisma);
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO "webhook_endpoints" ("id", "url", "secret", "enabled", "types", "createdAt", "updatedAt")
     VALUES (4242, 'https://example.com/hook', 'x', true, '{}', now(), now())`,
  );
  const sent = newEvent();
  const parked = newEvent();
  const stale = newEvent({ generation: 0 });
  const terminal = newEvent();
  for (const e of [sent, parked, stale, terminal]) await setup.begin(e);
  await setup.settle(terminal.id, { status: 'deliveryFailed', reason: 'earlier' });
  await setup.settle(stale.id, { status: 'deliveryFailed', reason: 'first try' });
  expect(await setup.redrive(stale.id)).toMatchObject({ generation: 1 }); // a generation-0 settle now changes nothing

  const { events, statements } = countingRepository({ onWebhookMessages: (ids) => void announced.push(ids) });
  const retryAt = new Date('2026-01-05T06:07:08.009Z');
  const results = await Promise.all([
    events.settle(sent.id, { status: 'sent', attempt: sentAttempt('smtp-b'), templateVersionId: undefined }),
    events.settle(parked.id, { status: 'pending', reason: 'retry', nextAttemptAt: retryAt }),
    events.settle(stale.id, { status: 'deliveryFailed', reason: 'stale', generation: 0 }),
    events.settle(terminal.id, { status: 'sent', attempt: sentAttempt('smtp-c') }),
  ]);
  expect(statements).toHaveLength(1);
  expect(results).toEqual([true, true, false, false]);

  expect(await setup.find(sent.id)).toMatchObject({
    status: 'sent',
    deliveries: [{ status: 'sent', provider: 'smtp-b', attempts: 1, providerMessageId: 'm-smtp-b', sentAt: new Date('2026-01-02T03:04:06.789Z') }],
  });
  expect(await setup.find(parked.id)).toMatchObject({ status: 'pending', reason: 'retry', nextAttemptAt: retryAt, deliveries: [] });
  expect(await setup.find(stale.id)).toMatchObject({ status: 'pending', generation: 1 });
  // Refused, but the attempt happened and is recorded.
  expect(await setup.find(terminal.id)).toMatchObject({ status: 'deliveryFailed', reason: 'earlier', deliveries: [{ provider: 'smtp-c' }] });

  // One webhook message (only `sent` is reported here), named with the provider of its attempt.
  expect(announced).toHaveLength(1);
  expect(announced[0]).toHaveLength(1);
  const [message] = await db.prisma.$queryRawUnsafe<{ type: string; payload: { data: { id: string; provider: string } } }[]>(
    `SELECT "type", "payload" FROM "webhook_messages" WHERE "id" = $1`,
    announced[0]![0]!,
  );
  expect(message).toMatchObject({ type: 'event.sent', payload: { data: { id: sent.id.toString(), provider: 'smtp-b' } } });
  await db.prisma.$executeRawUnsafe(`DELETE FROM "webhook_messages"`);
  await db.prisma.$executeRawUnsafe(`DELETE FROM "webhook_endpoints"`);
});

test('a row the database refuses fails its own caller only; the others of its batch go through', async () => {
  const { events } = countingRepository();
  const good = newEvent();
  const bad = newEvent({ eventTypeId: 999_999 }); // no such event type: a foreign key violation
  const alsoGood = newEvent();
  const outcomes = await Promise.allSettled([events.begin(good), events.begin(bad), events.begin(alsoGood)]);
  expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  const setup = new EventsRepository(db.prisma);
  expect(await setup.find(good.id)).toMatchObject({ status: 'processing' });
  expect(await setup.find(alsoGood.id)).toMatchObject({ status: 'processing' });
  expect(await setup.find(bad.id)).toBeUndefined();
});

test('a settle to a status no worker may set is refused before any statement', async () => {
  const { events, statements } = countingRepository();
  await expect(events.settle(newEvent().id, { status: 'bounced' })).rejects.toThrow(/cannot settle/);
  expect(statements).toHaveLength(0);
});

test('batches hold at most maxBatchSize events', async () => {
  const { events, statements } = countingRepository({ groupCommit: { maxBatchSize: 3, maxInFlight: 1 } });
  const many = Array.from({ length: 7 }, () => newEvent());
  const results = await Promise.all(many.map((e) => events.begin(e)));
  expect(results.every((r) => r.taken)).toBe(true);
  expect(statements).toHaveLength(3);
});

test('begin and settle are prepared once per connection, then only executed', async () => {
  // One connection, so the session the statements ran on is the one asked.
  const prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 1 });
  try {
    const events = new EventsRepository(prisma);
    for (let i = 0; i < 3; i++) {
      const event = newEvent();
      await events.begin(event);
      await events.settle(event.id, { status: 'sent' });
    }
    const prepared = await prisma.$queryRawUnsafe<{ name: string; calls: bigint }[]>(
      `SELECT name, generic_plans + custom_plans AS calls FROM pg_prepared_statements ORDER BY name`,
    );
    expect(prepared).toHaveLength(2);
    expect(prepared.every((p) => /^mc_[0-9a-f]{24}$/.test(p.name) && Number(p.calls) === 3)).toBe(true);
  } finally {
    await prisma.$disconnect();
  }
});
