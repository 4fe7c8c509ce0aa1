/**
 * The intake against the running Redis: idempotency bound to the body (422 on a different
 * body), and the enqueue-timeout path. The queue talks to Redis through a private TCP proxy
 * that the test can freeze (it holds what the client sends, as a Redis that does not answer)
 * and thaw or cut, so the rest of the shared Redis is never paused.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { EventIdGenerator, DomainError, type Lane } from '@mc/core';
import { eventJobId, shardOf } from '@mc/contracts';
import { EventIntake, type IntakeResult } from './event-intake';
import { createEventTypeCatalog } from './event-type-catalog';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A TCP proxy to Redis whose client→server direction can be held and then released or dropped. */
async function freezableProxy(target: URL) {
  let frozen = false;
  const held: { upstream: net.Socket; chunk: Buffer }[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => (frozen ? held.push({ upstream, chunk }) : upstream.write(chunk)));
    upstream.on('data', (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    freeze: () => void (frozen = true),
    /** Delivers what was held, in order, as a slow Redis finally answering. */
    thaw() {
      frozen = false;
      for (const { upstream, chunk } of held.splice(0)) upstream.write(chunk);
    },
    /** Forgets what was held and drops the connections: what was sent never reached Redis. */
    cut() {
      frozen = false;
      held.splice(0);
      for (const s of sockets) s.destroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** The lanes as one shard each (QUEUE_SHARDS=1). */
const oneShard = (lanes: Record<Lane, Queue>) => ({ realtime: [lanes.realtime], batch: [lanes.batch] });

async function waitFor<T>(probe: () => Promise<T | undefined | false>, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let prefix: string;
let redis: Redis;
let proxy: Awaited<ReturnType<typeof freezableProxy>>;
let proxied: Redis;
let queues: Record<Lane, Queue>;
let direct: Record<Lane, Queue>;
let intake: EventIntake;
const enqueueErrors: unknown[] = [];

const TYPE = 'ORDER';
const event = (extra: Record<string, unknown> = {}) => ({ type: TYPE, email: 'ann@example.com', ctx: { n: 1 }, ...extra });
const ok = (r: IntakeResult | undefined) => {
  if (!r?.ok) throw new Error(`expected an id, got ${JSON.stringify(r)}`);
  return r;
};

beforeAll(async () => {
  prefix = `intake-${randomBytes(4).toString('hex')}`;
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  proxy = await freezableProxy(new URL(REDIS_URL));
  // No resend after a reconnect: a cut connection loses what it carried, as the test means it to.
  proxied = new Redis(proxy.url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, autoResendUnfulfilledCommands: false });
  proxied.on('error', () => undefined);
  queues = {
    realtime: new Queue('events-realtime', { connection: proxied, prefix }),
    batch: new Queue('events-batch', { connection: proxied, prefix }),
  };
  direct = {
    realtime: new Queue('events-realtime', { connection: redis, prefix }),
    batch: new Queue('events-batch', { connection: redis, prefix }),
  };
  for (const q of [...Object.values(queues), ...Object.values(direct)]) q.on('error', () => undefined);
  // Load BullMQ's scripts over the proxy before any freeze.
  const warm = await queues.realtime.add('warm', {}, { jobId: 'warm' });
  await warm.remove();
  intake = new EventIntake({
    queues: oneShard(queues),
    redis,
    catalog: createEventTypeCatalog(async (key) => (key === TYPE ? { id: 1, key, enabled: true, ctxSchema: null, maxAgeSeconds: null } : null)),
    ids: new EventIdGenerator(7),
    keyPrefix: prefix,
    idempotencyTtlSeconds: 60,
    attempts: { email: 3, sms: 3, push: 3 },
    enqueueTimeoutMs: 300,
    onEnqueueError: (error) => enqueueErrors.push(error),
  });
});

afterAll(async () => {
  for (const q of [...Object.values(queues), ...Object.values(direct)]) await q.close().catch(() => undefined);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  proxied.disconnect();
  await proxy.close();
});

describe('idempotency keys are bound to the body', () => {
  test('a repeat with the same body (keys in another order) answers the first id and adds nothing', async () => {
    const [first] = await intake.accept([{ event: event(), idempotencyKey: 'same-1' }], 'realtime', 'key:1');
    const [again] = await intake.accept(
      [{ event: { ctx: { n: 1 }, email: 'ann@example.com', type: TYPE }, idempotencyKey: 'same-1' }],
      'realtime',
      'key:1',
    );
    expect(ok(again)).toEqual({ ok: true, id: ok(first).id, duplicate: true });
    expect(await direct.realtime.getJob(eventJobId(ok(first).id))).toBeDefined();
    expect(await direct.realtime.count()).toBe(1);
  });

  test('the same key with a different body is 422 and the second event is not stored', async () => {
    const before = await direct.realtime.count();
    const [first] = await intake.accept([{ event: event(), idempotencyKey: 'diff-1' }], 'realtime', 'key:1');
    const [other] = await intake.accept([{ event: event({ ctx: { n: 2 } }), idempotencyKey: 'diff-1' }], 'realtime', 'key:1');
    expect(other).toEqual({
      ok: false,
      problem: expect.objectContaining({
        status: 422,
        type: 'urn:message-center:problem:idempotency-key-reuse',
        detail: expect.stringContaining(ok(first).id),
        errors: [{ path: '/idempotencyKey', message: 'already used with a different body' }],
      }),
    });
    expect(await direct.realtime.count()).toBe(before + 1);
  });

  test('keys are scoped per API key', async () => {
    const [a] = await intake.accept([{ event: event(), idempotencyKey: 'scoped' }], 'realtime', 'key:1');
    const [b] = await intake.accept([{ event: event({ ctx: { n: 9 } }), idempotencyKey: 'scoped' }], 'realtime', 'key:2');
    expect(ok(b).id).not.toBe(ok(a).id);
    expect(ok(b).duplicate).toBe(false);
  });

  test('batch items: a repeat inside one batch answers the first, one with another body gets a 422 problem', async () => {
    const results = await intake.accept(
      [
        { event: event(), idempotencyKey: 'b-1' },
        { event: event(), idempotencyKey: 'b-1' },
        { event: event({ email: 'bob@example.com' }), idempotencyKey: 'b-1' },
        { event: event(), idempotencyKey: 'b-2' },
      ],
      'batch',
      'key:1',
    );
    expect(ok(results[1]).id).toBe(ok(results[0]).id);
    expect(results[2]).toMatchObject({ ok: false, problem: { status: 422 } });
    expect(ok(results[3]).id).not.toBe(ok(results[0]).id);
    const later = await intake.accept([{ event: { ...event(), idempotencyKey: 'b-1' }, idempotencyKey: 'b-1' }], 'batch', 'key:1');
    expect(ok(later[0]).id).toBe(ok(results[0]).id);
  });
});

describe('when the queue does not answer in time', () => {
  test('with a key: 503, the key stays bound; once Redis answers, the repeat gets the same id and the job exists', async () => {
    proxy.freeze();
    const refused = intake.accept([{ event: event({ externalId: 'slow-1' }), idempotencyKey: 'slow-1' }], 'realtime', 'key:1');
    await expect(refused).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/same Idempotency-Key/) });
    const bound = await redis.get(`${prefix}:idem:${createHash('sha256').update('key:1').update('\0').update('slow-1').digest('hex')}`);
    expect(bound).toMatch(/^\d+:[A-Za-z0-9_-]{22}$/);
    const id = bound!.split(':')[0]!;
    proxy.thaw();
    await waitFor(() => direct.realtime.getJob(eventJobId(id)), 'the late add to land');
    const [again] = await intake.accept([{ event: event({ externalId: 'slow-1' }), idempotencyKey: 'slow-1' }], 'realtime', 'key:1');
    expect(ok(again)).toEqual({ ok: true, id, duplicate: true });
    expect((await direct.realtime.getJob(eventJobId(id)))?.data).toMatchObject({ id, event: { externalId: 'slow-1' } });
  });

  test('with a key whose add never reached Redis: the repeat adds the job under the same id', async () => {
    proxy.freeze();
    const refused = intake.accept([{ event: event({ externalId: 'lost-1' }), idempotencyKey: 'lost-1' }], 'realtime', 'key:1');
    await expect(refused).rejects.toBeInstanceOf(DomainError);
    proxy.cut();
    await waitFor(async () => proxied.status === 'ready', 'the queue connection to come back', 10_000);
    const bound = await redis.get(`${prefix}:idem:${createHash('sha256').update('key:1').update('\0').update('lost-1').digest('hex')}`);
    expect(await direct.realtime.getJob(eventJobId(bound!.split(':')[0]!))).toBeUndefined();
    const [again] = await intake.accept([{ event: event({ externalId: 'lost-1' }), idempotencyKey: 'lost-1' }], 'realtime', 'key:1');
    const id = ok(again).id;
    expect(ok(again).duplicate).toBe(true);
    const job = await direct.realtime.getJob(eventJobId(id));
    expect(job?.data).toMatchObject({ id, event: { externalId: 'lost-1' } });
  });

  test('without a key: 503 "nothing was stored", and when Redis answers late the job is removed behind the add', async () => {
    const before = await direct.realtime.getJobCounts('waiting', 'delayed', 'active');
    proxy.freeze();
    const refused = intake.accept([{ event: event({ externalId: 'nokey-1' }) }], 'realtime', 'key:1');
    await expect(refused).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/nothing was stored/) });
    proxy.thaw();
    // The add and then the removal reach Redis in order; once the removal answered, no job is left.
    await waitFor(async () => (await proxied.ping()) === 'PONG', 'the connection to answer');
    const after = await direct.realtime.getJobCounts('waiting', 'delayed', 'active');
    expect(after).toEqual(before);
    const jobs = await direct.realtime.getJobs(['waiting', 'delayed', 'active']);
    expect(jobs.filter((j) => j.data?.event?.externalId === 'nokey-1')).toEqual([]);
  });

  test('concurrent single events (coalesced into bulks): on a timeout each is answered by its own rule (keyed kept, unkeyed removed)', async () => {
    proxy.freeze();
    const [keyed, ...unkeyed] = await Promise.allSettled([
      intake.accept([{ event: event({ externalId: 'mix-keyed' }), idempotencyKey: 'mix-1' }], 'realtime', 'key:1'),
      // These two reach the enqueue in the same round of I/O: one bulk.
      intake.accept([{ event: event({ externalId: 'mix-unkeyed' }) }], 'realtime', 'key:1'),
      intake.accept([{ event: event({ externalId: 'mix-unkeyed' }) }], 'realtime', 'key:2'),
    ]);
    expect(keyed).toMatchObject({ status: 'rejected', reason: { code: 'unavailable', message: expect.stringMatching(/same Idempotency-Key/) } });
    for (const outcome of unkeyed) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'unavailable', message: expect.stringMatching(/nothing was stored/) } });
    }
    proxy.thaw();
    await waitFor(async () => (await proxied.ping()) === 'PONG', 'the connection to answer');
    const stored = await direct.realtime.getJobs(['waiting', 'delayed', 'active']);
    expect(stored.filter((j) => j.data?.event?.externalId === 'mix-unkeyed')).toEqual([]);
    const [again] = await intake.accept([{ event: event({ externalId: 'mix-keyed' }), idempotencyKey: 'mix-1' }], 'realtime', 'key:1');
    expect(ok(again).duplicate).toBe(true);
    expect((await direct.realtime.getJob(eventJobId(ok(again).id)))?.data).toMatchObject({ event: { externalId: 'mix-keyed' } });
  });
});

describe('lanes split into shards (QUEUE_SHARDS)', () => {
  test('each event goes to the shard its id picks; a batch whose shard does not answer gets a 503 for those items only', async () => {
    // Shard 0 through the freezable proxy, shard 1 direct: freezing fails exactly shard 0.
    const shards = {
      realtime: [queues.realtime, new Queue('events-realtime-1', { connection: redis, prefix })],
      batch: [new Queue('events-batch', { connection: proxied, prefix }), new Queue('events-batch-1', { connection: redis, prefix })],
    };
    for (const q of [shards.realtime[1]!, ...shards.batch]) q.on('error', () => undefined);
    const sharded = new EventIntake({
      queues: shards,
      redis,
      catalog: createEventTypeCatalog(async (key) => ({ id: 1, key, enabled: true, ctxSchema: null, maxAgeSeconds: null })),
      ids: new EventIdGenerator(9),
      keyPrefix: prefix,
      idempotencyTtlSeconds: 60,
      attempts: { email: 3, sms: 3, push: 3 },
      enqueueTimeoutMs: 300,
    });
    try {
      const stored = await sharded.accept(Array.from({ length: 12 }, (_, i) => ({ event: event({ externalId: `spread-${i}` }) })), 'batch', 'key:1');
      const ids = stored.map((r) => ok(r).id);
      const shardsUsed = new Set(ids.map((id) => shardOf(id, 2)));
      expect(shardsUsed.size).toBe(2);
      for (const id of ids) {
        expect(await shards.batch[shardOf(id, 2)]!.getJob(eventJobId(id))).toBeDefined();
        expect(await shards.batch[1 - shardOf(id, 2)]!.getJob(eventJobId(id))).toBeUndefined();
      }

      proxy.freeze();
      const items = Array.from({ length: 12 }, (_, i) => ({ event: event({ externalId: `half-${i}` }), ...(i % 2 ? { idempotencyKey: `half-${i}` } : {}) }));
      const results = await sharded.accept(items, 'batch', 'key:1');
      proxy.cut();
      const refused = results.filter((r) => !r.ok);
      const accepted = results.filter((r) => r.ok).map((r) => ok(r).id);
      expect(refused.length).toBeGreaterThan(0);
      expect(accepted.length).toBeGreaterThan(0);
      for (const id of accepted) {
        expect(shardOf(id, 2)).toBe(1);
        expect(await shards.batch[1]!.getJob(eventJobId(id))).toBeDefined();
      }
      results.forEach((r, i) => {
        if (r.ok) return;
        expect(r.problem).toMatchObject({ status: 503, detail: i % 2 ? expect.stringMatching(/same Idempotency-Key/) : expect.stringMatching(/nothing was stored/) });
      });
      await waitFor(async () => proxied.status === 'ready', 'the queue connection to come back', 10_000);
    } finally {
      await Promise.all([shards.realtime[1]!.close(), ...shards.batch.map((q) => q.close())]);
    }
  });
});

describe('door options', () => {
  test('checkAddresses: false (the SOAP door) stores bad addresses as given (the worker judges them later)', async () => {
    const bad = event({ email: 'not-an-email', mobilePhone: '12ab' });
    const [rest] = await intake.accept([{ event: bad }], 'realtime', 'key:1');
    expect(rest).toMatchObject({ ok: false, problem: { status: 400, errors: [{ path: '/email' }, { path: '/mobilePhone' }] } });
    const [soap] = await intake.accept([{ event: bad }], 'realtime', 'key:1', { checkAddresses: false });
    expect((await direct.realtime.getJob(eventJobId(ok(soap).id)))?.data.event).toMatchObject({ email: 'not-an-email', mobilePhone: '12ab' });
  });

  test('checkPushEndpoint: a reason refuses the event with 422 outbound-policy at /push/webPush/endpoint, at every door', async () => {
    const seen: string[] = [];
    const guarded = new EventIntake({
      queues: oneShard(direct),
      redis,
      catalog: createEventTypeCatalog(async (key) => ({ id: 1, key, enabled: true, ctxSchema: null, maxAgeSeconds: null })),
      ids: new EventIdGenerator(8),
      keyPrefix: prefix,
      idempotencyTtlSeconds: 60,
      attempts: { email: 3, sms: 3, push: 3 },
      checkPushEndpoint: (url) => {
        seen.push(url);
        return new URL(url).hostname === '169.254.169.254' ? 'the host is a link-local address' : undefined;
      },
    });
    const keys = { p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url'), auth: Buffer.alloc(16, 2).toString('base64url') };
    const to = (endpoint: string) => ({ type: TYPE, wishedChannel: 'push', push: { webPush: { endpoint, keys } } });
    for (const checkAddresses of [true, false]) {
      const [refused, allowed] = await guarded.accept(
        [{ event: to('https://169.254.169.254/latest') }, { event: to('https://push.example.net/abc') }],
        'batch',
        'key:1',
        { checkAddresses },
      );
      expect(refused).toEqual({
        ok: false,
        problem: expect.objectContaining({
          status: 422,
          type: 'urn:message-center:problem:outbound-policy',
          errors: [{ path: '/push/webPush/endpoint', message: 'the host is a link-local address' }],
        }),
      });
      expect(ok(allowed).duplicate).toBe(false);
    }
    expect(seen).toContain('https://push.example.net/abc');
  });
});

describe('a batch of several event types', () => {
  test('each item is judged against its own type (unknown, disabled, ctx schema), each type looked up once', async () => {
    const loads: string[] = [];
    const rows: Record<string, { enabled: boolean; ctxSchema: unknown }> = {
      A: { enabled: true, ctxSchema: null },
      B: { enabled: true, ctxSchema: { type: 'object', required: ['order'] } },
      OFF: { enabled: false, ctxSchema: null },
    };
    const mixed = new EventIntake({
      queues: oneShard(direct),
      redis,
      catalog: createEventTypeCatalog(async (key) => {
        loads.push(key);
        const row = rows[key];
        return row ? { id: 1, key, enabled: row.enabled, ctxSchema: row.ctxSchema as never, maxAgeSeconds: null } : null;
      }),
      ids: new EventIdGenerator(9),
      keyPrefix: prefix,
      idempotencyTtlSeconds: 60,
      attempts: { email: 3, sms: 3, push: 3 },
    });
    const item = (type: string, ctx: Record<string, unknown> = {}) => ({ event: { type, email: 'ann@example.com', ctx } });
    const results = await mixed.accept(
      [item('A'), item('B', { order: 1 }), item('NOPE'), item('OFF'), item('B'), item('A'), { event: { type: 'A', email: 'not-an-email' } }],
      'batch',
      'key:1',
    );
    expect(results.map((r) => (r.ok ? 'ok' : `${r.problem.status} ${r.problem.type.split(':').pop()}`))).toEqual([
      'ok',
      'ok',
      '422 unknown-event-type',
      '422 event-type-disabled',
      '422 ctx-schema',
      'ok',
      '400 validation',
    ]);
    expect(loads.sort()).toEqual(['A', 'B', 'NOPE', 'OFF']);
  });
});
