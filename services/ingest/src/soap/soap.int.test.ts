/**
 * The SOAP layer against a real Redis and real BullMQ queues (127.0.0.1:6379), through
 * app.inject(); plus a real SOAP toolkit (Python zeep) over a socket when it is installed.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fastify, { type FastifyInstance } from 'fastify';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { EventIdGenerator, type Lane } from '@mc/core';
import { eventJobId, QUEUE_NAMES, shardOf, type EventJob } from '@mc/contracts';
import { EventIntake } from '../events/event-intake';
import { createEventTypeCatalog, type EventTypeCatalog } from '../events/event-type-catalog';
import { registerAuth } from '../plugins/auth';
import { soapRoutes, type SoapPluginOptions } from './index';

const REDIS_URL = 'redis://127.0.0.1:6379';
const API_KEY = 'mc_test_key_0123456789';
const BODY_LIMIT = 64 * 1024;

interface Harness {
  app: FastifyInstance;
  queues: Record<Lane, Queue>;
  redis: Redis;
  catalog: EventTypeCatalog;
  close(): Promise<void>;
}

function makeCatalog(): EventTypeCatalog {
  return createEventTypeCatalog(async (key) =>
    key === 'ORDER_CONFIRMATION' ? { id: 1, key, enabled: true, ctxSchema: null, maxAgeSeconds: null } : null,
  );
}

async function makeHarness(
  overrides: Partial<SoapPluginOptions> = {},
  redisOptions?: { port: number },
  serviceAuth = false,
  ratePerScope?: number,
): Promise<Harness> {
  const prefix = `soaptest-${randomUUID()}`;
  const redis = redisOptions
    ? new Redis({ host: '127.0.0.1', port: redisOptions.port, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true })
    : new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined); // the unavailable case expects connection errors
  const queues = {
    realtime: new Queue(QUEUE_NAMES.realtime, { connection: redis, prefix }),
    batch: new Queue(QUEUE_NAMES.batch, { connection: redis, prefix }),
  };
  for (const q of Object.values(queues)) q.on('error', () => undefined);
  const catalog = makeCatalog();
  const intake = new EventIntake({
    queues: { realtime: [queues.realtime], batch: [queues.batch] },
    redis,
    catalog,
    ids: new EventIdGenerator(1),
    keyPrefix: prefix,
    idempotencyTtlSeconds: 60,
    attempts: { email: 3, sms: 3, push: 3 },
    ...(ratePerScope ? { ratePerScope } : {}),
  });
  const app = fastify();
  // As in app.ts: the service-wide API-key hook sits in front of every route.
  if (serviceAuth) registerAuth(app, { keys: { verify: async () => undefined, invalidate: () => undefined, forgetUnknown: () => undefined } as never, failures: undefined as never });
  await app.register(soapRoutes, {
    intake,
    verifyApiKey: async (key) => (key === API_KEY ? { id: 'key-1', scopes: ['events:write'] } : undefined),
    operators: [{ login: 'mc', password: 's3cret' }],
    bodyLimitBytes: BODY_LIMIT,
    eventTypes: catalog,
    ...overrides,
  });
  await app.ready();
  return {
    app,
    queues,
    redis,
    catalog,
    async close() {
      await app.close();
      if (!redisOptions) {
        for (const q of Object.values(queues)) await q.obliterate({ force: true });
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length > 0) await redis.del(...keys);
      }
      for (const q of Object.values(queues)) await q.close().catch(() => undefined);
      // quit, not disconnect: ioredis's disconnect arms a 2 s socket timer that keeps jest
      // alive; the closed-port connection has already ended and needs nothing.
      if (redis.status === 'ready') await redis.quit();
      else if (redis.status !== 'end') redis.disconnect();
    },
  };
}

const ENVELOPE = (call: string) =>
  '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:nms:rtEvent">' +
  `<soapenv:Header/><soapenv:Body>${call}</soapenv:Body></soapenv:Envelope>`;

const pushEvent = (token: string, event: string) =>
  ENVELOPE(`<urn:PushEvent><urn:sessiontoken>${token}</urn:sessiontoken><urn:domEvent>${event}</urn:domEvent></urn:PushEvent>`);

const pushEvents = (token: string, events: string) =>
  ENVELOPE(`<urn:PushEvents><urn:sessiontoken>${token}</urn:sessiontoken><urn:domEventCollection><Events>${events}</Events></urn:domEventCollection></urn:PushEvents>`);

const SAMPLE_EVENT =
  '<rtEvent type="ORDER_CONFIRMATION" email="eva.lind@example.org" origin="webshop" wishedChannel="0" externalId="A-77810" mobilePhone="+46705550101">' +
  '<ctx><customer><firstName>Eva</firstName><lastName>Lind</lastName></customer>' +
  '<order number="A-77810" total="349.00" currency="SEK"><line sku="CAP-1"><name>Cap</name><qty>1</qty></line>' +
  '<line sku="MUG-2"><name>Mug</name><qty>2</qty></line></order></ctx></rtEvent>';

const plIds = (xml: string) => [...xml.matchAll(/<plId xsi:type="xsd:long">(\d+)<\/plId>/g)].map((m) => m[1]!);
const faultCode = (xml: string) => /<faultcode>([^<]*)<\/faultcode>/.exec(xml)?.[1];
const faultDetail = (xml: string) => /<detail[^>]*>([^<]*)<\/detail>/.exec(xml)?.[1];

function post(app: FastifyInstance, payload: string | Buffer, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/nl/jsp/soaprouter.jsp',
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"nms:rtEvent#PushEvent"', ...headers },
    payload,
  });
}

describe('SOAP soaprouter.jsp with Redis', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await makeHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('PushEvent → PushEventResponse with the plId of a job holding the mapped event', async () => {
    const res = await post(h.app, pushEvent('mc/s3cret', SAMPLE_EVENT));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    expect(res.body).toContain('<urn:PushEventResponse xmlns:urn="urn:nms:rtEvent" SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">');
    const [id] = plIds(res.body);
    expect(id).toMatch(/^[1-9]\d{0,18}$/);

    const job = await h.queues.realtime.getJob(eventJobId(id!));
    const data = job!.data as EventJob;
    expect(data).toMatchObject({ v: 1, id, lane: 'realtime', channel: 'email' });
    expect(data.event).toEqual({
      type: 'ORDER_CONFIRMATION',
      email: 'eva.lind@example.org',
      origin: 'webshop',
      externalId: 'A-77810',
      mobilePhone: '+46705550101',
      ctx: {
        customer: { firstName: 'Eva', lastName: 'Lind' },
        order: {
          number: 'A-77810',
          total: '349.00',
          currency: 'SEK',
          line: [
            { sku: 'CAP-1', name: 'Cap', qty: '1' },
            { sku: 'MUG-2', name: 'Mug', qty: '2' },
          ],
        },
      },
    });
  });

  it('authenticates with an API key as sessiontoken, or an empty one plus Bearer', async () => {
    const asToken = await post(h.app, pushEvent(API_KEY, SAMPLE_EVENT));
    expect(asToken.statusCode).toBe(200);
    const asBearer = await post(h.app, pushEvent('', SAMPLE_EVENT), { authorization: `Bearer ${API_KEY}` });
    expect(asBearer.statusCode).toBe(200);
    expect(plIds(asBearer.body)).toHaveLength(1);
  });

  it('accepts the default namespace, no SOAPAction and a batchEvent in PushEvent', async () => {
    const xml =
      '<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body>' +
      '<PushEvent xmlns="urn:nms:batchEvent"><sessiontoken>mc/s3cret</sessiontoken>' +
      '<domEvent><batchEvent xmlns="" type="ORDER_CONFIRMATION" email="a@example.org"/></domEvent></PushEvent></Body></Envelope>';
    const res = await post(h.app, xml, { soapaction: '' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<urn:PushEventResponse xmlns:urn="urn:nms:batchEvent"');
    const job = await h.queues.batch.getJob(eventJobId(plIds(res.body)[0]!));
    expect((job!.data as EventJob).lane).toBe('batch');
  });

  // Fails while EventIntake's TypeBox check does not know format 'date-time' (every event with
  // scheduled/expiration is refused, REST too) — see the SOAP layer's hand-over notes.
  it('a scheduled event is stored with the RFC 3339 date and delayed until then', async () => {
    const res = await post(h.app, pushEvent('mc/s3cret', '<rtEvent type="ORDER_CONFIRMATION" email="a@example.org" scheduled="2099-11-27 15:00:00.000Z"/>'));
    expect(faultDetail(res.body)).toBeUndefined();
    const job = await h.queues.realtime.getJob(eventJobId(plIds(res.body)[0]!));
    expect((job!.data as EventJob).event.scheduled).toBe('2099-11-27T15:00:00.000Z');
    expect(await job!.isDelayed()).toBe(true);
  });

  it('PushEvents with mixed rtEvent/batchEvent → ids in document order, each in its lane', async () => {
    const events =
      '<rtEvent type="ORDER_CONFIRMATION" email="r0@example.org"><ctx><n>0</n></ctx></rtEvent>' +
      '<batchEvent type="ORDER_CONFIRMATION" email="b1@example.org"><ctx><n>1</n></ctx></batchEvent>' +
      '<rtEvent type="ORDER_CONFIRMATION" email="r2@example.org"><ctx><n>2</n></ctx></rtEvent>' +
      '<batchEvent type="ORDER_CONFIRMATION" email="b3@example.org"><ctx><n>3</n></ctx></batchEvent>';
    const res = await post(h.app, pushEvents('mc/s3cret', events), { soapaction: 'nms:batchEvent#PushEvents' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<urn:PushEventsResponse');
    const ids = plIds(res.body);
    expect(ids).toHaveLength(4);
    const lanes: Lane[] = ['realtime', 'batch', 'realtime', 'batch'];
    for (const [i, id] of ids.entries()) {
      const job = await h.queues[lanes[i]!].getJob(eventJobId(id));
      expect(job).toBeDefined();
      expect((job!.data as EventJob).event.ctx).toEqual({ n: String(i) });
      expect((job!.data as EventJob).event.email).toBe(`${lanes[i] === 'realtime' ? 'r' : 'b'}${i}@example.org`);
    }
  });

  it('a PushEvents with one bad item stores nothing and names the item', async () => {
    const before = await h.queues.realtime.count();
    const events =
      '<rtEvent type="ORDER_CONFIRMATION" email="ok@example.org"/>' +
      '<rtEvent type="NO_SUCH_TYPE" email="ok2@example.org"/>' +
      '<rtEvent type="ORDER_CONFIRMATION" wishedChannel="7"/>';
    const res = await post(h.app, pushEvents('mc/s3cret', events), { soapaction: '"nms:rtEvent#PushEvents"' });
    expect(res.statusCode).toBe(500);
    expect(faultCode(res.body)).toBe('SOAP-ENV:Client');
    expect(faultDetail(res.body)).toMatch(/event 2 \(rtEvent\): attribute wishedChannel/);
    // The type check runs once the shapes are fine:
    const onlyType = await post(
      h.app,
      pushEvents('mc/s3cret', '<rtEvent type="ORDER_CONFIRMATION" email="ok@example.org"/><rtEvent type="NO_SUCH_TYPE"/>'),
      { soapaction: '"nms:rtEvent#PushEvents"' },
    );
    expect(faultDetail(onlyType.body)).toMatch(/event 1 \(rtEvent\): unknown event type "NO_SUCH_TYPE"/);
    expect(await h.queues.realtime.count()).toBe(before);
  });

  it('takes a bad email address as given, as Adobe does (the worker ends the event targetingFailed)', async () => {
    const res = await post(h.app, pushEvent('mc/s3cret', '<rtEvent type="ORDER_CONFIRMATION" email="eva@@example" mobilePhone="n/a"/>'));
    expect(res.statusCode).toBe(200);
    const job = await h.queues.realtime.getJob(eventJobId(plIds(res.body)[0]!));
    expect((job!.data as EventJob).event).toMatchObject({ email: 'eva@@example', mobilePhone: 'n/a' });
  });

  it('an Idempotency-Key makes a resend answer the same ids without new jobs', async () => {
    const key = randomUUID();
    const first = await post(h.app, pushEvent('mc/s3cret', SAMPLE_EVENT), { 'idempotency-key': key });
    const again = await post(h.app, pushEvent('mc/s3cret', SAMPLE_EVENT), { 'idempotency-key': key });
    expect(plIds(again.body)).toEqual(plIds(first.body));
  });

  describe('faults: HTTP 500, SOAP 1.1 envelope, right faultcode', () => {
    const cases: [string, () => Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }>, string, RegExp][] = [
      ['bad login', () => post(h.app, pushEvent('mc/wrong', SAMPLE_EVENT)), 'SOAP-ENV:Client', /^Invalid login or password\. Connection denied\.$/],
      ['unknown API key', () => post(h.app, pushEvent('nope', SAMPLE_EVENT)), 'SOAP-ENV:Client', /^Invalid login or password/],
      ['no credentials', () => post(h.app, pushEvent('', SAMPLE_EVENT)), 'SOAP-ENV:Client', /^Invalid login or password/],
      ['malformed XML', () => post(h.app, pushEvent('mc/s3cret', '<rtEvent type="ORDER_CONFIRMATION">\n<ctx></rtEvent>')), 'SOAP-ENV:Client', /Malformed XML at line 2, column \d+/],
      ['unknown method', () => post(h.app, ENVELOPE('<urn:GetStatus><urn:sessiontoken>mc/s3cret</urn:sessiontoken></urn:GetStatus>'), { soapaction: '"nms:rtEvent#GetStatus"' }), 'SOAP-ENV:Client', /Unknown method 'GetStatus'/],
      ['unknown event type', () => post(h.app, pushEvent('mc/s3cret', '<rtEvent type="NOPE" email="a@example.org"/>')), 'SOAP-ENV:Client', /unknown event type/],
      ['over-size body', () => post(h.app, pushEvent('mc/s3cret', `<rtEvent type="ORDER_CONFIRMATION"><ctx><x>${'a'.repeat(BODY_LIMIT)}</x></ctx></rtEvent>`)), 'SOAP-ENV:Client', /exceeds the limit of 65536 bytes/],
      ['DOCTYPE', () => post(h.app, `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${pushEvent('&x;', SAMPLE_EVENT)}`), 'SOAP-ENV:Client', /DOCTYPE or ENTITY declaration is not allowed/],
      ['JSON content type', () => post(h.app, '{"type":"ORDER_CONFIRMATION"}', { 'content-type': 'application/json' }), 'SOAP-ENV:Client', /Unsupported Content-Type/],
      ['empty body', () => post(h.app, ''), 'SOAP-ENV:Client', /empty/],
      ['SOAP 1.2 envelope', () => post(h.app, '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>', { 'content-type': 'application/soap+xml' }), 'SOAP-ENV:VersionMismatch', /SOAP 1\.2/],
    ];

    it.each(cases)('%s', async (_label, send, code, detail) => {
      const res = await send();
      expect(res.statusCode).toBe(500);
      expect(String(res.headers['content-type'])).toMatch(/^text\/xml/);
      expect(res.body).toMatch(/^<\?xml[^>]*\?>\n<SOAP-ENV:Envelope /);
      expect(faultCode(res.body)).toBe(code);
      expect(faultDetail(res.body)).toMatch(detail);
    });

    it('a bad login says which method failed, Adobe-style', async () => {
      const res = await post(h.app, pushEvent('mc/wrong', SAMPLE_EVENT));
      expect(res.body).toContain("<faultstring xsi:type=\"xsd:string\">Error while executing the method 'PushEvent' of service 'nms:rtEvent'.</faultstring>");
    });
  });

  describe('WSDL', () => {
    it.each(['nms:rtEvent', 'nms:batchEvent'])('serves %s with the address from the Host header', async (schema) => {
      const res = await h.app.inject({ method: 'GET', url: `/nl/jsp/schemawsdl.jsp?schema=${schema}`, headers: { host: 'mc.example.org:8080' } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/xml/);
      expect(res.body).toContain('<soap:address location="http://mc.example.org:8080/nl/jsp/soaprouter.jsp"/>');
      expect(res.body).toContain(`soapAction="${schema}#PushEvent"`);
      expect(res.body).toContain(`soapAction="${schema}#PushEvents"`);
    });

    it('answers an unknown schema with a 404 problem', async () => {
      const res = await h.app.inject({ method: 'GET', url: '/nl/jsp/schemawsdl.jsp?schema=xtk:session' });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 404, type: 'urn:message-center:problem:not-found' });
    });
  });
});

describe('without the eventTypes pre-check', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await makeHarness({ eventTypes: undefined });
  });
  afterAll(async () => {
    await h.close();
  });

  it('the intake judges the type: unknown type is still a Client fault, and the fault says what was stored', async () => {
    const single = await post(h.app, pushEvent('mc/s3cret', '<rtEvent type="NOPE"/>'));
    expect(faultCode(single.body)).toBe('SOAP-ENV:Client');
    expect(faultDetail(single.body)).toMatch(/No event type "NOPE" exists/);

    const mixed = await post(h.app, pushEvents('mc/s3cret', '<rtEvent type="ORDER_CONFIRMATION"/><rtEvent type="NOPE"/>'), {
      soapaction: 'nms:rtEvent#PushEvents',
    });
    expect(faultCode(mixed.body)).toBe('SOAP-ENV:Client');
    const stored = /plId (\d+)/.exec(faultDetail(mixed.body)!)?.[1];
    expect(stored).toBeDefined();
    expect(await h.queues.realtime.getJob(eventJobId(stored!))).toBeDefined();
  });
});

describe('behind the service-wide auth hook (plugins/auth.ts)', () => {
  it('lets SOAP calls and the WSDL through to the plugin, which authenticates them itself', async () => {
    const h = await makeHarness({}, undefined, true);
    try {
      const ok = await post(h.app, pushEvent('mc/s3cret', SAMPLE_EVENT));
      expect(ok.statusCode).toBe(200);
      const bad = await post(h.app, pushEvent('mc/wrong', SAMPLE_EVENT));
      expect(faultCode(bad.body)).toBe('SOAP-ENV:Client');
      const wsdl = await h.app.inject({ method: 'GET', url: '/nl/jsp/schemawsdl.jsp?schema=nms:rtEvent' });
      expect(wsdl.statusCode).toBe(200);
    } finally {
      await h.close();
    }
  });
});

describe('over the per-key ingest rate', () => {
  it('answers a Client fault saying so, and stores nothing', async () => {
    const h = await makeHarness({}, undefined, false, 1);
    try {
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)));
      expect((await post(h.app, pushEvent('mc/s3cret', SAMPLE_EVENT))).statusCode).toBe(200);
      const res = await post(h.app, pushEvent('mc/s3cret', SAMPLE_EVENT));
      expect(res.statusCode).toBe(500);
      expect(faultCode(res.body)).toBe('SOAP-ENV:Client');
      expect(faultDetail(res.body)).toMatch(/1 events per second/);
    } finally {
      await h.close();
    }
  });
});

describe('queue unavailable', () => {
  it('answers a Server fault and no stack trace', async () => {
    const port = await closedPort();
    const h = await makeHarness({}, { port });
    try {
      const res = await post(h.app, pushEvent('mc/s3cret', SAMPLE_EVENT));
      expect(res.statusCode).toBe(500);
      expect(faultCode(res.body)).toBe('SOAP-ENV:Server');
      expect(faultDetail(res.body)).toBe('The event queue is unreachable; nothing was stored. Retry later.');
      expect(res.body).not.toMatch(/at .*\.ts:\d+|Error:/);
    } finally {
      await h.close();
    }
  }, 20_000);
});

describe('a standard SOAP toolkit (Python zeep)', () => {
  const hasZeep = (() => {
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import zeep'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  if (!hasZeep) {
    // eslint-disable-next-line no-console
    console.warn('SKIPPED: zeep is not installed for /usr/bin/python3 (Debian: apt-get install python3-zeep)');
  }
  const maybe = hasZeep ? it : it.skip;

  maybe('loads the WSDL from the URL and calls PushEvent and PushEvents', async () => {
    const h = await makeHarness();
    try {
      const address = await h.app.listen({ host: '127.0.0.1', port: 0 });
      const { stdout } = await promisify(execFile)('/usr/bin/python3', [join(__dirname, '__tests__', 'zeep_client.py'), address, 'mc/s3cret'], {
        timeout: 30_000,
      });
      const out = JSON.parse(stdout.trim().split('\n').pop()!) as {
        plId: string;
        plIds: string[];
        fault: { code: string; message: string; detail: string } | null;
      };
      const job = await h.queues.realtime.getJob(eventJobId(out.plId));
      expect(job).toBeDefined();
      expect((job!.data as EventJob).event).toMatchObject({
        type: 'ORDER_CONFIRMATION',
        email: 'zeep@example.org',
        ctx: { customer: { firstName: 'Zeep' }, order: { number: 'Z-1', line: [{ sku: 'A' }, { sku: 'B' }] } },
      });
      expect(out.plIds).toHaveLength(2);
      for (const id of out.plIds) expect(await h.queues.batch.getJob(eventJobId(id))).toBeDefined();
      expect(out.fault).toEqual({
        code: 'SOAP-ENV:Client',
        message: "Error while executing the method 'PushEvent' of service 'nms:rtEvent'.",
        detail: 'Invalid login or password. Connection denied.',
      });
    } finally {
      await h.close();
    }
  }, 60_000);
});

async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('SOAP PushEvents over sharded lanes (QUEUE_SHARDS)', () => {
  it('a shard that does not confirm makes a Server fault that names the events stored in the others', async () => {
    const prefix = `soapshards-${randomUUID()}`;
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    // Shard 1 of each lane talks to a closed port: its adds never confirm.
    const dead = new Redis({ host: '127.0.0.1', port: await closedPort(), enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    dead.on('error', () => undefined);
    const queues = {
      realtime: [new Queue(QUEUE_NAMES.realtime, { connection: redis, prefix }), new Queue(`${QUEUE_NAMES.realtime}-1`, { connection: dead, prefix })],
      batch: [new Queue(QUEUE_NAMES.batch, { connection: redis, prefix }), new Queue(`${QUEUE_NAMES.batch}-1`, { connection: dead, prefix })],
    };
    for (const q of [...queues.realtime, ...queues.batch]) q.on('error', () => undefined);
    const intake = new EventIntake({
      queues,
      redis,
      catalog: makeCatalog(),
      ids: new EventIdGenerator(3),
      keyPrefix: prefix,
      idempotencyTtlSeconds: 60,
      attempts: { email: 3, sms: 3, push: 3 },
      enqueueTimeoutMs: 300,
    });
    const app = fastify();
    await app.register(soapRoutes, {
      intake,
      verifyApiKey: async () => undefined,
      operators: [{ login: 'mc', password: 's3cret' }],
      bodyLimitBytes: BODY_LIMIT,
      eventTypes: makeCatalog(),
    });
    await app.ready();
    try {
      const events = Array.from({ length: 8 }, () => SAMPLE_EVENT.replaceAll('rtEvent', 'batchEvent')).join('');
      const res = await post(app, pushEvents('mc/s3cret', events), { soapaction: '"nms:rtEvent#PushEvents"' });
      expect(res.statusCode).toBe(500);
      expect(faultCode(res.body)).toMatch(/Server$/);
      const detail = faultDetail(res.body)!;
      expect(detail).toMatch(/The event queue did not confirm|nothing was stored/);
      const stored = [...detail.matchAll(/plId ([\d, …]+)\)/g)].flatMap((m) => m[1]!.split(', ').filter((id) => /^\d+$/.test(id)));
      expect(stored.length).toBeGreaterThan(0);
      for (const id of stored) {
        expect(shardOf(id, 2)).toBe(0);
        expect(await queues.batch[0]!.getJob(eventJobId(id))).toBeDefined();
      }
    } finally {
      await app.close();
      await queues.batch[0]!.obliterate({ force: true });
      for (const q of [...queues.realtime, ...queues.batch]) await q.close().catch(() => undefined);
      await redis.quit();
      // Ended by itself (no retries); disconnect() would arm a socket timer that keeps jest alive.
      if (dead.status !== 'end') dead.disconnect();
    }
  });
});
