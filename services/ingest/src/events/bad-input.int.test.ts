/**
 * The REST doors against a corpus of bad input, over a real socket (the app listens on
 * 127.0.0.1:0, the client is node's http): every case is answered 4xx application/problem+json
 * naming what was wrong — never a 5xx, never a reset connection — and nothing is enqueued.
 * Each event case runs twice: as POST /v1/events (answered with the status) and as the only
 * item of POST /v1/events/batch (202, the item rejected with the same problem).
 */
import http from 'node:http';
import net from 'node:net';
import { createECDH, randomBytes } from 'node:crypto';
import { loadConfig } from '@mc/config';
import { createTestSchema, type TestSchema } from '@mc/db';
import { createLogger, createIngestMetrics } from '@mc/observability';
import { createIngestContext, type IngestContext } from '../context';
import { buildApp } from '../app';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const ADMIN = `admin-${randomBytes(8).toString('hex')}`;
const BODY_LIMIT = 65_536;

let db: TestSchema;
let ctx: IngestContext;
let app: Awaited<ReturnType<typeof buildApp>>;
let port: number;
let prefix: string;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

/** One request on a fresh connection; rejects if the connection is reset instead of answered. */
function send(method: string, path: string, headers: http.OutgoingHttpHeaders, body?: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: response.statusCode!, headers: response.headers, text, json });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** Raw bytes on a socket, for what node's client will not send (malformed HTTP). */
function sendRaw(bytes: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      const headers: http.IncomingHttpHeaders = {};
      for (const line of head.split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      resolve({ status, headers, text: body, json });
    });
  });
}

const auth = { authorization: `Bearer ${ADMIN}` };
const jsonHeaders = { ...auth, 'content-type': 'application/json' };

function expectProblem(answer: Answer, status: number, path?: string | RegExp): void {
  const context = `${answer.status} ${answer.text.slice(0, 500)}`;
  expect({ status: answer.status, context }).toEqual({ status, context });
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(answer.json).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
  expect(answer.text).not.toMatch(/at .*\.[jt]s:\d+/);
  if (path !== undefined) expectNamed(answer.json, path, context);
}

function expectNamed(problem: { errors?: { path: string }[] }, path: string | RegExp, context: string): void {
  const paths = (problem.errors ?? []).map((e) => e.path);
  const named = paths.some((p) => (typeof path === 'string' ? p === path : path.test(p)));
  expect({ paths, path: String(path), named, context }).toEqual({ paths, path: String(path), named: true, context });
}

beforeAll(async () => {
  db = await createTestSchema(DATABASE_URL);
  prefix = `bad-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL,
    QUEUE_PREFIX: prefix,
    MC_ADMIN_KEY: ADMIN,
    SMTP_URL: 'smtp://127.0.0.1:1',
    BODY_LIMIT_BYTES: String(BODY_LIMIT),
  });
  const logger = createLogger({ name: 'test', level: 'silent' });
  const metrics = createIngestMetrics();
  ctx = await createIngestContext(config, logger, metrics);
  app = await buildApp({ ctx, logger, metrics });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as net.AddressInfo).port;
  for (const body of [
    { key: 'BAD', label: 'bad input' },
    { key: 'OFF', label: 'disabled', enabled: false },
    { key: 'STRICT', label: 'ctx schema', ctxSchema: { type: 'object', required: ['order'], properties: { order: { type: 'string' } } } },
  ]) {
    const created = await send('POST', '/v1/event-types', jsonHeaders, JSON.stringify(body));
    expect(created.status).toBe(201);
  }
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

// --- The corpus -------------------------------------------------------------------------

const ecdh = createECDH('prime256v1');
ecdh.generateKeys();
const goodKeys = { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
const base = { type: 'BAD', email: 'ann@example.com' };

interface EventCase {
  name: string;
  event: unknown;
  status: 400 | 422;
  /** The path (relative to the event) that must be named. */
  path: string;
  /** The event as JSON text, when JSON.stringify would recurse too deep to write it. */
  json?: string;
}

const wrongTypes: Record<string, unknown[]> = {
  type: [42, true, null, [], ['BAD'], {}, '', '9starts-with-digit', 'x'.repeat(65)],
  email: [42, true, null, ['ann@example.com'], { address: 'ann@example.com' }, 'x'.repeat(321)],
  mobilePhone: [46701234567, false, null, ['+46701234567'], {}, '+'.repeat(33)],
  push: [42, 'https://push.example/x', [], true, null],
  wishedChannel: [7, 'fax', true, null, ['email'], {}, 1.5, 'EMAIL'],
  externalId: [true, 42, null, ['order-1'], {}, 'x'.repeat(256)],
  origin: [1, false, null, ['shop'], {}, 'x'.repeat(256)],
  locale: [46, true, null, ['sv'], 'not a locale', 'x'.repeat(36)],
  scheduled: [42, true, null, ['2026-11-27T15:00:00Z'], 'tomorrow', '2026-13-45T99:00:00Z', '2026-11-27'],
  expiration: [1764255600, false, 'next week', '27/11/2026'],
  ctx: [42, 'ctx', [], true, null],
};

const eventCases: EventCase[] = [
  ...Object.entries(wrongTypes).flatMap(([field, values]) =>
    values.map((value) => ({ name: `${field} = ${JSON.stringify(value)?.slice(0, 40)}`, event: { ...base, [field]: value }, status: 400 as const, path: `/${field}` })),
  ),
  { name: 'no type', event: { email: 'ann@example.com' }, status: 400, path: '/type' },
  { name: 'an unknown field', event: { ...base, colour: 'red' }, status: 400, path: '/colour' },
  { name: 'a misspelled field', event: { ...base, mobilephone: '+46701234567' }, status: 400, path: '/mobilephone' },
  { name: 'the event is an array', event: [base], status: 400, path: '/' },
  { name: 'the event is a string', event: 'BAD', status: 400, path: '/' },
  { name: 'the event is null', event: null, status: 400, path: '/' },
  { name: 'idempotencyKey is a number', event: { ...base, idempotencyKey: 42 }, status: 400, path: '/idempotencyKey' },
  { name: 'idempotencyKey is empty', event: { ...base, idempotencyKey: '' }, status: 400, path: '/idempotencyKey' },
  { name: 'idempotencyKey too long', event: { ...base, idempotencyKey: 'k'.repeat(256) }, status: 400, path: '/idempotencyKey' },
  { name: 'idempotencyKey with a newline', event: { ...base, idempotencyKey: 'a\nb' }, status: 400, path: '/idempotencyKey' },
  // Addresses.
  ...['not-an-email', 'ann@', '@example.com', 'ann@example', 'ann example@x.org', 'ann@exa_mple.com', 'a..b@example.com', '"q"@example.com', 'ann@[192.0.2.1]', `${'a'.repeat(65)}@example.com`].map(
    (email) => ({ name: `email ${JSON.stringify(email)}`, event: { ...base, email }, status: 400 as const, path: '/email' }),
  ),
  ...['12ab', '0701234567', '+0123456789', '+999123456789', '+4670123', '+46 70 12ab 45', ''].map((mobilePhone) => ({
    name: `mobilePhone ${JSON.stringify(mobilePhone)}`,
    event: { ...base, mobilePhone },
    status: 400 as const,
    path: '/mobilePhone',
  })),
  ...([
    ['http endpoint', { endpoint: 'http://push.example/x', keys: goodKeys }, '/push/webPush/endpoint'],
    ['endpoint not a URL', { endpoint: 'push.example/x', keys: goodKeys }, '/push/webPush/endpoint'],
    ['p256dh too short', { endpoint: 'https://push.example/x', keys: { ...goodKeys, p256dh: 'AAAA' } }, '/push/webPush/keys/p256dh'],
    ['p256dh compressed', { endpoint: 'https://push.example/x', keys: { ...goodKeys, p256dh: ecdh.getPublicKey(undefined, 'compressed').toString('base64url') } }, '/push/webPush/keys/p256dh'],
    ['p256dh not base64url', { endpoint: 'https://push.example/x', keys: { ...goodKeys, p256dh: '%%%' } }, '/push/webPush/keys/p256dh'],
    ['auth of 12 bytes', { endpoint: 'https://push.example/x', keys: { ...goodKeys, auth: randomBytes(12).toString('base64url') } }, '/push/webPush/keys/auth'],
    ['auth a number', { endpoint: 'https://push.example/x', keys: { ...goodKeys, auth: 16 } }, '/push/webPush/keys/auth'],
    ['keys missing', { endpoint: 'https://push.example/x' }, '/push/webPush/keys'],
    ['an extra field', { endpoint: 'https://push.example/x', keys: goodKeys, extra: 1 }, '/push/webPush/extra'],
  ] as const).map(([name, webPush, path]) => ({ name: `webPush: ${name}`, event: { ...base, push: { webPush } }, status: 400 as const, path })),
  ...['arn:aws:sns:eu-west-1:123456789012:my-topic', 'arn:aws:sns:eu-west-1:1:endpoint/GCM/app/1', 'arn:aws:sns:', 'not an arn'].map((arn) => ({
    name: `snsEndpointArn ${JSON.stringify(arn)}`,
    event: { ...base, push: { snsEndpointArn: arn } },
    status: 400 as const,
    path: '/push/snsEndpointArn',
  })),
  { name: 'push with both addresses', event: { ...base, push: { snsEndpointArn: 'arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/a/1', webPush: { endpoint: 'https://p.example/x', keys: goodKeys } } }, status: 400, path: '/push' },
  { name: 'push with neither', event: { ...base, push: {} }, status: 400, path: '/push' },
  // Huge and deep.
  { name: 'a 60 kB email', event: { ...base, email: `${'a'.repeat(60_000)}@example.com` }, status: 400, path: '/email' },
  { name: 'a 60 kB type', event: { ...base, type: 'T'.repeat(60_000) }, status: 400, path: '/type' },
  { name: 'ctx nested 33 levels', event: { ...base, ctx: nest(32) }, status: 400, path: '/ctx' },
  { name: 'ctx nested 5000 levels', event: undefined, json: `{"type":"BAD","ctx":${'{"d":'.repeat(5000)}1${'}'.repeat(5000)}}`, status: 400, path: '/ctx' },
  { name: 'ctx of nested arrays', event: { ...base, ctx: { a: JSON.parse('['.repeat(2000) + ']'.repeat(2000)) } }, status: 400, path: '/ctx' },
  // 422: well-formed, but not for this service.
  { name: 'an unknown event type', event: { ...base, type: 'NOPE' }, status: 422, path: '/type' },
  { name: 'a disabled event type', event: { ...base, type: 'OFF' }, status: 422, path: '/type' },
  { name: 'ctx against the type schema', event: { ...base, type: 'STRICT', ctx: { order: 42 } }, status: 422, path: 'ctx.order' },
  { name: 'ctx missing a required field', event: { ...base, type: 'STRICT', ctx: {} }, status: 422, path: 'ctx.order' },
];

function nest(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < depth; i++) value = { d: value };
  return value;
}

const asSinglePath = (path: string) => (path === '/' ? 'body' : path.startsWith('/') ? `body${path}` : path);
const asBatchPath = (path: string) => (path === '/' ? '/events/0' : `/events/0/${path.replace(/^\//, '')}`);

describe('POST /v1/events', () => {
  test.each(eventCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const answer = await send('POST', '/v1/events', jsonHeaders, c.json ?? JSON.stringify(c.event));
    expectProblem(answer, c.status, asSinglePath(c.path));
  });
});

describe('POST /v1/events/batch, the same events as items', () => {
  test.each(eventCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const answer = await send('POST', '/v1/events/batch', jsonHeaders, `{"events":[${c.json ?? JSON.stringify(c.event)}]}`);
    expect({ status: answer.status, text: answer.text.slice(0, 300) }).toEqual({ status: 202, text: expect.any(String) });
    expect(answer.json).toMatchObject({ accepted: 0, rejected: 1 });
    const problem = answer.json.results[0].error;
    expect(problem).toMatchObject({ status: c.status, type: expect.any(String), detail: expect.any(String) });
    expectNamed(problem, asBatchPath(c.path), JSON.stringify(problem).slice(0, 300));
  });
});

const utf8Broken = (bytes: number[]) =>
  Buffer.concat([Buffer.from('{"type":"BAD","email":"a'), Buffer.from(bytes), Buffer.from('@example.com"}')]);

interface RawCase {
  name: string;
  method?: string;
  url?: string;
  headers?: http.OutgoingHttpHeaders;
  body?: string | Buffer;
  status: number;
  path?: string | RegExp;
}

const rawCases: RawCase[] = [
  // Broken JSON.
  ...['{"type":', '{type: "BAD"}', "{'type':'BAD'}", '[', '{"type":"BAD",}', '{"type":"BAD"} trailing', 'NaN', '{"type":"BAD","email":"a\u0001b@example.com"}', ''].map((body) => ({
    name: `broken JSON ${JSON.stringify(body).slice(0, 30)}`,
    body,
    status: 400,
    path: 'body',
  })),
  { name: 'JSON null', body: 'null', status: 400, path: 'body' },
  { name: 'JSON number', body: '42', status: 400, path: 'body' },
  { name: 'JSON string', body: '"BAD"', status: 400, path: 'body' },
  { name: 'batch body not an object', url: '/v1/events/batch', body: '[{"type":"BAD"}]', status: 400, path: /^body/ },
  { name: 'batch events not an array', url: '/v1/events/batch', body: '{"events":{"type":"BAD"}}', status: 400, path: 'body/events' },
  { name: 'batch events empty', url: '/v1/events/batch', body: '{"events":[]}', status: 400, path: 'body/events' },
  { name: 'batch with an extra field', url: '/v1/events/batch', body: '{"events":[{"type":"BAD"}],"lane":"realtime"}', status: 400, path: 'body/lane' },
  { name: 'batch of 1001 events', url: '/v1/events/batch', body: JSON.stringify({ events: Array.from({ length: 1001 }, () => ({ type: 'BAD' })) }), status: 400, path: 'body/events' },
  // Invalid UTF-8 (each would otherwise be read as U+FFFD and accepted).
  { name: 'a lone 0xFF byte', body: utf8Broken([0xff]), status: 400, path: 'body' },
  { name: 'an overlong encoding', body: utf8Broken([0xc0, 0xaf]), status: 400, path: 'body' },
  { name: 'an encoded surrogate', body: utf8Broken([0xed, 0xa0, 0x80]), status: 400, path: 'body' },
  { name: 'a truncated sequence', body: utf8Broken([0xe2, 0x82]), status: 400, path: 'body' },
  { name: 'Latin-1 bytes', body: Buffer.from('{"type":"BAD","ctx":{"name":"J\xf6rg"}}', 'latin1'), status: 400, path: 'body' },
  // Content types.
  { name: 'text/plain', headers: { ...auth, 'content-type': 'text/plain' }, body: JSON.stringify(base), status: 415 },
  { name: 'form-urlencoded', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'type=BAD', status: 415 },
  { name: 'xml', headers: { ...auth, 'content-type': 'application/xml' }, body: '<type>BAD</type>', status: 415 },
  { name: 'multipart', headers: { ...auth, 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--', status: 415 },
  { name: 'no content type', headers: { ...auth }, body: JSON.stringify(base), status: 415 },
  { name: 'a made-up type', headers: { ...auth, 'content-type': 'application/jsonx' }, body: JSON.stringify(base), status: 415 },
  // Prototype pollution.
  { name: '__proto__ at the top', body: '{"type":"BAD","__proto__":{"admin":true}}', status: 400, path: 'body/__proto__' },
  { name: '__proto__ in ctx', body: '{"type":"BAD","ctx":{"a":{"__proto__":{"x":1}}}}', status: 400, path: 'body/ctx/a/__proto__' },
  { name: 'constructor.prototype at the top', body: '{"type":"BAD","constructor":{"prototype":{"x":1}}}', status: 400, path: 'body/constructor' },
  { name: 'constructor.prototype in ctx', body: '{"type":"BAD","ctx":{"constructor":{"prototype":{}}}}', status: 400, path: 'body/ctx/constructor' },
  { name: '__proto__ in a batch item', url: '/v1/events/batch', body: '{"events":[{"type":"BAD","__proto__":{}}]}', status: 400, path: 'body/events/0/__proto__' },
  { name: 'a plain "constructor" field is just an unknown field', body: '{"type":"BAD","constructor":"x"}', status: 400, path: 'body/constructor' },
  // Oversized bodies.
  { name: 'a body over the limit', body: JSON.stringify({ ...base, ctx: { blob: 'x'.repeat(BODY_LIMIT) } }), status: 413 },
  { name: 'a batch over the limit', url: '/v1/events/batch', body: JSON.stringify({ events: Array.from({ length: 800 }, () => ({ ...base, ctx: { pad: 'x'.repeat(100) } })) }), status: 413 },
  // Header abuse.
  { name: 'an Idempotency-Key of 256 characters', headers: { ...jsonHeaders, 'idempotency-key': 'k'.repeat(256) }, body: JSON.stringify(base), status: 400, path: 'headers/idempotency-key' },
  { name: 'an Idempotency-Key of 8 kB', headers: { ...jsonHeaders, 'idempotency-key': 'k'.repeat(8192) }, body: JSON.stringify(base), status: 400, path: 'headers/idempotency-key' },
  { name: 'an empty Idempotency-Key', headers: { ...jsonHeaders, 'idempotency-key': '' }, body: JSON.stringify(base), status: 400, path: 'headers/idempotency-key' },
  { name: 'a non-ASCII Idempotency-Key', headers: { ...jsonHeaders, 'idempotency-key': 'cl\xe9' }, body: JSON.stringify(base), status: 400, path: 'headers/idempotency-key' },
  { name: 'an Idempotency-Key sent twice', headers: { ...jsonHeaders, 'idempotency-key': ['k-1', 'k-2'] }, body: JSON.stringify(base), status: 400, path: 'headers/idempotency-key' },
  { name: 'an Idempotency-Key sent twice, equal', headers: { ...jsonHeaders, 'idempotency-key': ['k-1', 'k-1'] }, body: JSON.stringify(base), status: 400, path: 'headers/idempotency-key' },
  { name: 'headers over 16 kB', headers: { ...jsonHeaders, 'x-padding': 'p'.repeat(20_000) }, body: JSON.stringify(base), status: 431 },
  { name: 'no Authorization', headers: { 'content-type': 'application/json' }, body: JSON.stringify(base), status: 401 },
  { name: 'Authorization without a scheme', headers: { 'content-type': 'application/json', authorization: ADMIN }, body: JSON.stringify(base), status: 401 },
  { name: 'Authorization "Bearer" alone', headers: { 'content-type': 'application/json', authorization: 'Bearer' }, body: JSON.stringify(base), status: 401 },
  { name: 'Authorization "Bearer " and spaces', headers: { 'content-type': 'application/json', authorization: 'Bearer    ' }, body: JSON.stringify(base), status: 401 },
  { name: 'Authorization with a wrong key', headers: { 'content-type': 'application/json', authorization: 'Bearer nope' }, body: JSON.stringify(base), status: 401 },
  { name: 'Authorization with a huge key', headers: { 'content-type': 'application/json', authorization: `Bearer ${'k'.repeat(10_000)}` }, body: JSON.stringify(base), status: 401 },
  { name: 'Authorization Basic not base64', headers: { 'content-type': 'application/json', authorization: 'Basic !!!' }, body: JSON.stringify(base), status: 401 },
  { name: 'Authorization Basic without a colon', headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(ADMIN).toString('base64')}` }, body: JSON.stringify(base), status: 401 },
  { name: 'Authorization Token scheme', headers: { 'content-type': 'application/json', authorization: `Token ${ADMIN}` }, body: JSON.stringify(base), status: 401 },
  { name: 'Authorization with the key in the wrong case scheme and a newline-free junk', headers: { 'content-type': 'application/json', authorization: `Bearer\t${ADMIN}` }, body: JSON.stringify(base), status: 401 },
  // Admin routes judge JSON bodies the same way: no coercion there either.
  { name: 'event type label a number', url: '/v1/event-types', body: '{"key":"COERCE1","label":42}', status: 400, path: 'body/label' },
  { name: 'event type enabled a string', url: '/v1/event-types', body: '{"key":"COERCE2","label":"x","enabled":"true"}', status: 400, path: 'body/enabled' },
  { name: 'event type maxAgeSeconds a string', url: '/v1/event-types', body: '{"key":"COERCE3","label":"x","maxAgeSeconds":"60"}', status: 400, path: 'body/maxAgeSeconds' },
  { name: 'event type key an array', url: '/v1/event-types', body: '{"key":["COERCE4"],"label":"x"}', status: 400, path: 'body/key' },
  { name: 'api key name an array', url: '/v1/api-keys', body: '{"name":["x"],"scopes":["admin"]}', status: 400, path: 'body/name' },
  { name: 'api key scopes a string', url: '/v1/api-keys', body: '{"name":"x","scopes":"admin"}', status: 400, path: 'body/scopes' },
  { name: 'suppression address a number', url: '/v1/suppressions', body: '{"address":42,"channel":"email","reason":"x"}', status: 400, path: 'body/address' },
  { name: 'api key id in the path not a number', method: 'DELETE', url: '/v1/api-keys/abc', status: 400, path: 'params/id' },
  { name: 'list limit not a number', method: 'GET', url: '/v1/events?limit=many', status: 400, path: 'querystring/limit' },
];

describe('transport, body and header abuse', () => {
  test.each(rawCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const method = c.method ?? 'POST';
    const answer = await send(method, c.url ?? '/v1/events', c.headers ?? (method === 'POST' ? jsonHeaders : auth), c.body);
    expectProblem(answer, c.status, c.path);
  });

  test('malformed HTTP (Content-Length and Transfer-Encoding both) is a 400 problem, not a reset', async () => {
    const body = JSON.stringify(base);
    const answer = await sendRaw(
      `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`,
    );
    expectProblem(answer, 400);
  });

  test('a request line that is not HTTP is a 400 problem', async () => {
    expectProblem(await sendRaw('HELLO THERE\r\n\r\n'), 400);
  });
});

test('the doors still take what they should: querystring and params read numbers from text', async () => {
  expect((await send('GET', '/v1/events?limit=5', auth)).status).toBe(200);
  expect((await send('DELETE', '/v1/api-keys/999999', auth)).status).toBe(404);
});

test('the corpus (over 150 cases) enqueued nothing', async () => {
  expect(eventCases.length * 2 + rawCases.length + 2).toBeGreaterThanOrEqual(150);
  for (const queue of Object.values(ctx.queues).flat()) {
    const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'completed', 'failed');
    expect(counts).toEqual({ waiting: 0, delayed: 0, active: 0, prioritized: 0, completed: 0, failed: 0 });
  }
});
