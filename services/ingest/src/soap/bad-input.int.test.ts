/**
 * The SOAP part of the bad-input corpus: malformed and hostile requests sent over a real socket
 * (the app listening on 127.0.0.1:0) to the plugin with a real EventIntake on real BullMQ
 * queues (Redis 127.0.0.1:6379, a prefix per run). Each one must answer HTTP 500 with a SOAP
 * 1.1 Client fault (VersionMismatch for a SOAP 1.2 envelope) — never a Server fault for the
 * caller's mistake —, leave every queue empty, and reach the client whole: the response ends
 * with the closing Envelope and the connection is not reset, however much body was left unread.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import fastify, { type FastifyInstance } from 'fastify';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { EventIdGenerator, type Lane } from '@mc/core';
import { QUEUE_NAMES } from '@mc/contracts';
import { EventIntake } from '../events/event-intake';
import { createEventTypeCatalog } from '../events/event-type-catalog';
import { soapRoutes } from './index';

const REDIS_URL = 'redis://127.0.0.1:6379';
const API_KEY = 'mc_test_key_0123456789';
const READ_ONLY_KEY = 'mc_read_only_key_0123';
const BODY_LIMIT = 2 * 1024 * 1024;

const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const envelope = (body: string, header = '') =>
  `<soapenv:Envelope xmlns:soapenv="${SOAP_ENV}" xmlns:urn="urn:nms:rtEvent">${header}<soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
const pushEvent = (event: string, token = 'mc/s3cret') =>
  envelope(`<urn:PushEvent><urn:sessiontoken>${token}</urn:sessiontoken><urn:domEvent>${event}</urn:domEvent></urn:PushEvent>`);
const pushEvents = (events: string, token = 'mc/s3cret') =>
  envelope(`<urn:PushEvents><urn:sessiontoken>${token}</urn:sessiontoken><urn:domEventCollection><Events>${events}</Events></urn:domEventCollection></urn:PushEvents>`);
const GOOD = '<rtEvent type="ORDER_CONFIRMATION" email="eva@example.org"><ctx><n>1</n></ctx></rtEvent>';
const withCtx = (ctx: string) => pushEvent(`<rtEvent type="ORDER_CONFIRMATION" email="eva@example.org"><ctx>${ctx}</ctx></rtEvent>`);
const attrs = (n: number, name = 'a') => Array.from({ length: n }, (_, i) => ` ${name}${i}="1"`).join('');
const xmlnsAttrs = (n: number) => Array.from({ length: n }, (_, i) => ` xmlns:p${i}="urn:p"`).join('');
const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

const BATCH_ACTION = { soapaction: '"nms:rtEvent#PushEvents"' };
const LOGIN = /^Invalid login or password\. Connection denied\.$/;
const MALFORMED = /^Malformed XML at line \d+, column \d+: /;
const DTD = /DOCTYPE or ENTITY declaration is not allowed/;

interface Case {
  name: string;
  body: string | Buffer;
  headers?: Record<string, string | undefined>;
  /** Sent without Content-Length (Transfer-Encoding: chunked). */
  chunked?: boolean;
  detail: RegExp;
  code?: 'SOAP-ENV:Client' | 'SOAP-ENV:VersionMismatch';
}

const CORPUS: Case[] = [
  // ---- broken XML ----
  { name: 'truncated envelope', body: pushEvent(GOOD).slice(0, -40), detail: MALFORMED },
  { name: 'unclosed attribute quote', body: pushEvent('<rtEvent type="ORDER_CONFIRMATION/>'), detail: MALFORMED },
  { name: 'mismatched close tag', body: pushEvent('<rtEvent type="ORDER_CONFIRMATION"><ctx></rtEvent>'), detail: /unexpected close tag/ },
  { name: 'bare ampersand in text', body: withCtx('<a>fish & chips</a>'), detail: /'&' starts no entity/ },
  { name: '"<" in an attribute value', body: pushEvent('<rtEvent type="A<B"/>'), detail: MALFORMED },
  { name: 'two roots', body: pushEvent(GOOD) + '<other/>', detail: /only one root/ },
  { name: 'text after the root', body: pushEvent(GOOD) + 'trailing junk', detail: /outside of root/ },
  { name: 'text before the root', body: 'junk' + pushEvent(GOOD), detail: MALFORMED },
  { name: 'a control character', body: withCtx('<a>\u0001</a>'), detail: /disallowed character/ },
  { name: 'duplicate attribute', body: pushEvent('<rtEvent type="ORDER_CONFIRMATION" type="X"/>'), detail: /duplicate attribute/ },
  { name: 'undefined entity', body: withCtx('<a>&nbsp;</a>'), detail: /^Undefined entity '&nbsp;'/ },
  { name: 'character reference to NUL', body: withCtx('<a>&#0;</a>'), detail: /^Invalid character reference '&#0;'/ },
  { name: 'undefining a prefix', body: withCtx('<a xmlns:x=""/>'), detail: /undefine prefix/ },
  { name: 'miscased CDATA', body: withCtx('<a><![cdata[x]]></a>'), detail: MALFORMED },
  { name: 'unclosed CDATA', body: withCtx('<a><![CDATA[never closed'), detail: MALFORMED },
  { name: 'unclosed comment', body: withCtx('<!-- never closed'), detail: MALFORMED },
  { name: 'XML declaration in the middle', body: withCtx('<?xml version="1.0"?>'), detail: MALFORMED },
  { name: 'empty body', body: '', detail: /empty/ },
  { name: 'whitespace-only body', body: ' \n\t ', detail: /empty/ },
  { name: 'plain text', body: 'hello', detail: MALFORMED },
  { name: 'JSON sent as text/xml', body: '{"type":"ORDER_CONFIRMATION"}', detail: MALFORMED },

  // ---- wrong root, missing Body ----
  { name: 'a bare PushEvent as root', body: '<PushEvent><sessiontoken>mc/s3cret</sessiontoken></PushEvent>', detail: /root element must be a SOAP 1\.1 Envelope/ },
  { name: 'Envelope in another namespace', body: '<e:Envelope xmlns:e="urn:not-soap"><e:Body/></e:Envelope>', detail: /root element must be/ },
  { name: 'Envelope without namespace', body: '<Envelope><Body/></Envelope>', detail: /root element must be/ },
  { name: 'SOAP 1.2 envelope', body: '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>', detail: /SOAP 1\.2/, code: 'SOAP-ENV:VersionMismatch' },
  { name: 'no Body', body: `<soapenv:Envelope xmlns:soapenv="${SOAP_ENV}"><soapenv:Header/></soapenv:Envelope>`, detail: /has no Body/ },
  { name: 'empty Body', body: envelope(''), detail: /Body is empty/ },
  { name: 'Body in another namespace', body: `<soapenv:Envelope xmlns:soapenv="${SOAP_ENV}"><x:Body xmlns:x="urn:x"><PushEvent/></x:Body></soapenv:Envelope>`, detail: /has no Body/ },

  // ---- operations and SOAPAction ----
  { name: 'unknown operation', body: envelope('<urn:GetStatus><urn:sessiontoken>mc/s3cret</urn:sessiontoken></urn:GetStatus>'), headers: { soapaction: '"nms:rtEvent#GetStatus"' }, detail: /Unknown method 'GetStatus'/ },
  { name: 'unknown operation, no SOAPAction', body: envelope('<urn:Delete><urn:sessiontoken>mc/s3cret</urn:sessiontoken></urn:Delete>'), headers: { soapaction: '' }, detail: /Unknown method 'Delete'/ },
  { name: 'SOAPAction disagrees with the Body', body: pushEvent(GOOD), headers: BATCH_ACTION, detail: /but the Body holds 'PushEvent'/ },
  { name: 'garbage SOAPAction', body: pushEvent(GOOD), headers: { soapaction: 'hello world' }, detail: /Unknown SOAPAction/ },
  { name: 'unknown service', body: pushEvent(GOOD), headers: { soapaction: '"xtk:session#PushEvent"' }, detail: /Unknown service 'xtk:session'/ },
  { name: 'PushEvent without domEvent', body: envelope('<urn:PushEvent><urn:sessiontoken>mc/s3cret</urn:sessiontoken></urn:PushEvent>'), detail: /needs a domEvent/ },
  { name: 'PushEvent with two events', body: pushEvent(GOOD + GOOD), detail: /exactly one rtEvent or batchEvent element, found 2/ },
  { name: 'PushEvents without domEventCollection', body: envelope('<urn:PushEvents><urn:sessiontoken>mc/s3cret</urn:sessiontoken></urn:PushEvents>'), headers: BATCH_ACTION, detail: /needs a domEventCollection/ },
  { name: 'PushEvents with 1,001 events', body: pushEvents('<rtEvent type="ORDER_CONFIRMATION"/>'.repeat(1001)), headers: BATCH_ACTION, detail: /at most 1000 events per call, got 1001/ },

  // ---- DTDs and entities ----
  {
    name: 'billion laughs',
    body: `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY l "lol"><!ENTITY l1 "&l;&l;&l;&l;&l;&l;&l;&l;&l;&l;"><!ENTITY l2 "&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;">]>${withCtx('<a>&l2;</a>')}`,
    detail: DTD,
  },
  { name: 'XXE (external entity)', body: `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${pushEvent(GOOD, '&x;')}`, detail: DTD },
  { name: 'external DTD', body: `<!DOCTYPE r SYSTEM "http://127.0.0.1:1/evil.dtd">${pushEvent(GOOD)}`, detail: DTD },
  { name: 'parameter entity', body: `<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:1/p">%p;]>${pushEvent(GOOD)}`, detail: DTD },
  { name: 'ENTITY inside the body', body: withCtx('<!ENTITY x "y"><a>&x;</a>'), detail: DTD },
  { name: 'DOCTYPE inside the Header', body: envelope('<urn:PushEvent/>', '<soapenv:Header><!DOCTYPE x></soapenv:Header>'), detail: DTD },

  // ---- encodings ----
  { name: 'invalid UTF-8 byte', body: bytes(withCtx('<a>'), [0xff, 0xfe], '</a></ctx></rtEvent></urn:domEvent></urn:PushEvent></soapenv:Body></soapenv:Envelope>'), detail: /not valid UTF-8/ },
  { name: 'overlong UTF-8', body: bytes(withCtx('<a>'), [0xc0, 0xaf], '</a>'), detail: /not valid UTF-8/ },
  { name: 'UTF-8 cut in the middle of a character', body: bytes(pushEvent(GOOD), [0xc3]), detail: /not valid UTF-8/ },
  { name: 'UTF-16 with a BOM, undeclared', body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(pushEvent(GOOD), 'utf16le')]), detail: /not valid UTF-8/ },
  { name: 'charset UTF-16 in the Content-Type', body: pushEvent(GOOD), headers: { 'content-type': 'text/xml; charset=UTF-16' }, detail: /Unsupported charset "UTF-16"/ },
  { name: 'EBCDIC in the XML declaration', body: `<?xml version="1.0" encoding="EBCDIC-CP-US"?>${pushEvent(GOOD)}`, headers: { 'content-type': 'text/xml' }, detail: /Unsupported charset "EBCDIC-CP-US"/ },

  // ---- limits ----
  { name: '300 attributes on one element', body: pushEvent(`<rtEvent type="ORDER_CONFIRMATION"${attrs(300)}/>`), detail: /more than 256 attributes \(the limit per element/ },
  { name: '300 xmlns declarations on the Envelope, no credentials', body: `<soapenv:Envelope xmlns:soapenv="${SOAP_ENV}"${xmlnsAttrs(300)}><soapenv:Body/></soapenv:Envelope>`, detail: /more than 256 attributes/ },
  {
    name: 'more than 100,000 attributes in total',
    body: withCtx(Array.from({ length: 400 }, () => `<x${attrs(255)}/>`).join('')),
    detail: /more than 100000 attributes \(the limit per request/,
  },
  { name: 'nesting 65 deep', body: withCtx('<a>'.repeat(60) + '</a>'.repeat(60)), detail: /nested deeper than 64 levels/ },
  { name: 'nesting 10,000 deep', body: withCtx('<a>'.repeat(10_000) + '</a>'.repeat(10_000)), detail: /nested deeper than 64 levels/ },
  { name: 'more than 200,000 elements', body: withCtx('<a/>'.repeat(200_001)), detail: /more than 200000 elements/ },
  { name: 'huge text over the body limit', body: withCtx(`<a>${'x'.repeat(BODY_LIMIT)}</a>`), detail: /exceeds the limit of 2097152 bytes/ },
  { name: 'huge text over the body limit, chunked', body: withCtx(`<a>${'x'.repeat(BODY_LIMIT)}</a>`), chunked: true, detail: /exceeds the limit of 2097152 bytes/ },
  { name: 'huge attribute value over the limit, no credentials', body: envelope(`<urn:PushEvent x="${'x'.repeat(BODY_LIMIT)}"/>`), chunked: true, detail: /exceeds the limit/ },

  // ---- content types ----
  { name: 'application/json', body: '{"type":"ORDER_CONFIRMATION"}', headers: { 'content-type': 'application/json' }, detail: /Unsupported Content-Type/ },
  { name: 'text/plain', body: pushEvent(GOOD), headers: { 'content-type': 'text/plain' }, detail: /Unsupported Content-Type/ },
  { name: 'no Content-Type', body: pushEvent(GOOD), headers: { 'content-type': undefined }, detail: /Unsupported Content-Type/ },
  { name: 'multipart/form-data', body: '--b\r\n\r\nx\r\n--b--', headers: { 'content-type': 'multipart/form-data; boundary=b' }, detail: /Unsupported Content-Type/ },
  { name: 'text/html', body: pushEvent(GOOD), headers: { 'content-type': 'text/html' }, detail: /Unsupported Content-Type/ },

  // ---- credentials ----
  { name: 'no sessiontoken, no header', body: envelope(`<urn:PushEvent><urn:domEvent>${GOOD}</urn:domEvent></urn:PushEvent>`), detail: LOGIN },
  { name: 'empty sessiontoken, no header', body: pushEvent(GOOD, ''), detail: LOGIN },
  { name: 'blank sessiontoken', body: pushEvent(GOOD, '  \n '), detail: LOGIN },
  { name: 'wrong password', body: pushEvent(GOOD, 'mc/wrong'), detail: LOGIN },
  { name: 'unknown login', body: pushEvent(GOOD, 'admin/admin'), detail: LOGIN },
  { name: 'unknown API key', body: pushEvent(GOOD, 'mc_nope'), detail: LOGIN },
  { name: 'token hidden in a child element', body: pushEvent(GOOD, '<x>mc/s3cret</x>'), detail: LOGIN },
  { name: 'sessiontoken after domEvent, no header', body: envelope(`<urn:PushEvent><urn:domEvent>${GOOD}</urn:domEvent><urn:sessiontoken>mc/s3cret</urn:sessiontoken></urn:PushEvent>`), detail: LOGIN },
  { name: 'wrong Bearer header (good token in the body)', body: pushEvent(GOOD), headers: { authorization: 'Bearer mc_nope' }, detail: LOGIN },
  { name: 'wrong Bearer header, empty token', body: pushEvent(GOOD, ''), headers: { authorization: 'Bearer mc_nope' }, detail: LOGIN },
  { name: 'wrong Basic header', body: pushEvent(GOOD, ''), headers: { authorization: `Basic ${Buffer.from('x:mc_nope').toString('base64')}` }, detail: LOGIN },
  { name: 'key without events:write, as Bearer', body: pushEvent(GOOD, ''), headers: { authorization: `Bearer ${READ_ONLY_KEY}` }, detail: /^Access denied: the key lacks the events:write scope\.$/ },
  { name: 'key without events:write, as sessiontoken', body: pushEvent(GOOD, READ_ONLY_KEY), detail: /^Access denied/ },
  { name: 'wrong token followed by garbage', body: envelope(`<urn:PushEvent><urn:sessiontoken>mc/wrong</urn:sessiontoken><urn:domEvent><<<&&&`), detail: LOGIN },
  { name: 'wrong token followed by an attribute flood', body: pushEvent(`<rtEvent type="ORDER_CONFIRMATION"${xmlnsAttrs(5000)}/>`, 'mc/wrong'), detail: LOGIN },
  { name: 'no credentials followed by an attribute flood', body: envelope(`<urn:PushEvent><urn:domEvent><rtEvent${xmlnsAttrs(5000)}/></urn:domEvent></urn:PushEvent>`), detail: LOGIN },

  // ---- events and batch items of the wrong shape ----
  { name: 'a batch item that is no event', body: pushEvents(`${GOOD}<order id="1"/>`), headers: BATCH_ACTION, detail: /event 1 \(order\): expected an rtEvent or batchEvent element/ },
  { name: 'a batch item without type', body: pushEvents(`${GOOD}<rtEvent email="a@example.org"/>`), headers: BATCH_ACTION, detail: /event 1 \(rtEvent\): the type attribute/ },
  { name: 'a batch item with a bad wishedChannel', body: pushEvents(`<batchEvent type="ORDER_CONFIRMATION" wishedChannel="fax"/>`), headers: BATCH_ACTION, detail: /event 0 \(batchEvent\): attribute wishedChannel/ },
  { name: 'a batch item with a bad date', body: pushEvents(`${GOOD}<rtEvent type="ORDER_CONFIRMATION" scheduled="tomorrow"/>`), headers: BATCH_ACTION, detail: /event 1 \(rtEvent\): attribute scheduled: "tomorrow" is not a date/ },
  { name: 'a batch item with two ctx', body: pushEvents('<rtEvent type="ORDER_CONFIRMATION"><ctx/><ctx/></rtEvent>'), headers: BATCH_ACTION, detail: /more than one <ctx>/ },
  { name: 'a batch item whose ctx holds _adobe', body: pushEvents('<rtEvent type="ORDER_CONFIRMATION"><ctx><_adobe>x</_adobe></ctx></rtEvent>'), headers: BATCH_ACTION, detail: /"_adobe" is reserved/ },
  { name: 'a batch item with a bad emailFormat', body: pushEvents('<rtEvent type="ORDER_CONFIRMATION" emailFormat="9"/>'), headers: BATCH_ACTION, detail: /attribute emailFormat/ },
  { name: 'a batch item of an unknown event type', body: pushEvents(`${GOOD}<rtEvent type="NO_SUCH_TYPE"/>`), headers: BATCH_ACTION, detail: /event 1 \(rtEvent\): unknown event type "NO_SUCH_TYPE"/ },
  { name: 'a batch item with a malformed type key', body: pushEvents('<rtEvent type="has space"/>'), headers: BATCH_ACTION, detail: /attribute type:/ },
  { name: 'a batch item with an over-long email', body: pushEvents(`<rtEvent type="ORDER_CONFIRMATION" email="${'a'.repeat(330)}@example.org"/>`), headers: BATCH_ACTION, detail: /attribute email:/ },
  { name: 'wrappers two deep', body: pushEvents(`<Events>${GOOD}</Events>`), headers: BATCH_ACTION, detail: /event 0 \(Events\): expected an rtEvent or batchEvent/ },
  { name: 'good items and one bad item', body: pushEvents(`${GOOD}${GOOD}<batchEvent/>`), headers: BATCH_ACTION, detail: /event 2 \(batchEvent\): the type attribute/ },
  { name: 'a bad Idempotency-Key', body: pushEvent(GOOD), headers: { 'idempotency-key': 'k'.repeat(256) }, detail: /Idempotency-Key header must be 1 to 255/ },

  // ---- prototype pollution through ctx names ----
  { name: '__proto__ element in ctx', body: withCtx('<__proto__><polluted>yes</polluted></__proto__>'), detail: /"__proto__" is not allowed/ },
  { name: 'constructor/prototype elements in ctx', body: withCtx('<constructor><prototype><polluted>yes</polluted></prototype></constructor>'), detail: /"constructor" is not allowed/ },
  { name: '__proto__ attribute in ctx', body: withCtx('<a __proto__="x"/>'), detail: /"__proto__" is not allowed/ },
  { name: 'prefixed __proto__ element', body: withCtx('<x:__proto__ xmlns:x="urn:x">1</x:__proto__>'), detail: /"__proto__" is not allowed/ },
  { name: 'xmlns:__proto__ declaration', body: withCtx('<a xmlns:__proto__="urn:x"/>'), detail: /"__proto__" is not allowed/ },
  { name: '__proto__ as an event attribute', body: pushEvent('<rtEvent type="ORDER_CONFIRMATION" __proto__="x"/>'), detail: /"__proto__" is not allowed/ },
];

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/** A plain node:http client, by default on its own connection: it must read the whole answer, no reset. */
function send(address: URL, testCase: Case, agent: Agent | false = false): Promise<Answer> {
  const body = typeof testCase.body === 'string' ? Buffer.from(testCase.body, 'utf8') : testCase.body;
  const headers: Record<string, string> = { 'content-type': 'text/xml; charset=utf-8', soapaction: '"nms:rtEvent#PushEvent"' };
  for (const [name, value] of Object.entries(testCase.headers ?? {})) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  if (!testCase.chunked) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: address.hostname, port: Number(address.port), method: 'POST', path: '/nl/jsp/soaprouter.jsp', headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject); // ECONNRESET / EPIPE fail the case
    if (testCase.chunked) {
      // Several writes, so the server sees a stream rather than one piece.
      const step = 64 * 1024;
      for (let at = 0; at < body.length; at += step) req.write(body.subarray(at, at + step));
      req.end();
    } else req.end(body);
  });
}

const faultCode = (xml: string) => /<faultcode>([^<]*)<\/faultcode>/.exec(xml)?.[1];
const faultDetail = (xml: string) =>
  /<detail[^>]*>([^<]*)<\/detail>/.exec(xml)?.[1]?.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

describe('the SOAP bad-input corpus, over a real socket', () => {
  const prefix = `soapbad-${randomUUID()}`;
  let redis: Redis;
  let queues: Record<Lane, Queue>;
  let app: FastifyInstance;
  let address: URL;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queues = {
      realtime: new Queue(QUEUE_NAMES.realtime, { connection: redis, prefix }),
      batch: new Queue(QUEUE_NAMES.batch, { connection: redis, prefix }),
    };
    const catalog = createEventTypeCatalog(async (key) =>
      key === 'ORDER_CONFIRMATION' ? { id: 1, key, enabled: true, ctxSchema: null, maxAgeSeconds: null } : null,
    );
    const intake = new EventIntake({
      queues: { realtime: [queues.realtime], batch: [queues.batch] },
      redis,
      catalog,
      ids: new EventIdGenerator(1),
      keyPrefix: prefix,
      idempotencyTtlSeconds: 60,
      attempts: { email: 3, sms: 3, push: 3 },
    });
    app = fastify({ bodyLimit: BODY_LIMIT });
    await app.register(soapRoutes, {
      intake,
      verifyApiKey: async (key) =>
        key === API_KEY ? { id: 'key-1', scopes: ['events:write'] } : key === READ_ONLY_KEY ? { id: 'key-2', scopes: ['events:read'] } : undefined,
      operators: [{ login: 'mc', password: 's3cret' }],
      bodyLimitBytes: BODY_LIMIT,
      eventTypes: catalog,
    });
    address = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
  });

  afterAll(async () => {
    await app.close();
    for (const q of Object.values(queues)) await q.obliterate({ force: true });
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    for (const q of Object.values(queues)) await q.close();
    await redis.quit();
  });

  const queued = async () => {
    let total = 0;
    for (const q of Object.values(queues)) {
      const counts = await q.getJobCounts();
      total += Object.values(counts).reduce((a, b) => a + b, 0);
    }
    return total;
  };

  it('has at least 60 cases, each named once', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CORPUS.map((c) => c.name)).size).toBe(CORPUS.length);
  });

  it.each(CORPUS.map((c) => [c.name, c] as const))('%s → a Client fault, whole, nothing enqueued', async (_name, testCase) => {
    const answer = await send(address, testCase);
    expect(answer.status).toBe(500);
    expect(answer.contentType).toMatch(/^text\/xml/);
    expect(answer.body).toMatch(/^<\?xml[^>]*\?>\n<SOAP-ENV:Envelope [\s\S]*<\/SOAP-ENV:Envelope>\n$/);
    expect(faultCode(answer.body)).toBe(testCase.code ?? 'SOAP-ENV:Client');
    expect(faultDetail(answer.body)).toMatch(testCase.detail);
    expect(await queued()).toBe(0);
  });

  it('left no prototype polluted', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  // Node answers "Connection: close" when it replies before the request's end; the rest of the
  // body is drained, so the close is orderly and the agent's next request gets a new socket.
  it('a keep-alive client refused midway (wrong token, 1.5 MB unread) reads the fault, and its next request is answered', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const big = pushEvent(`<rtEvent type="ORDER_CONFIRMATION"><ctx><a>${'x'.repeat(1_500_000)}</a></ctx></rtEvent>`, 'mc/wrong');
      const refused = await send(address, { name: 'refused', body: big, detail: LOGIN }, agent);
      expect(faultDetail(refused.body)).toMatch(LOGIN);
      const next = await send(address, { name: 'next', body: pushEvent(GOOD, 'mc/nope'), detail: LOGIN }, agent);
      expect(faultDetail(next.body)).toMatch(LOGIN);
    } finally {
      agent.destroy();
    }
    expect(await queued()).toBe(0);
  });

  it('still accepts a good request afterwards (the corpus is refused for its faults, not wholesale)', async () => {
    const answer = await send(address, { name: 'good', body: pushEvent(GOOD), detail: /./ });
    expect(answer.status).toBe(200);
    expect(await queued()).toBe(1);
  });
});
