/**
 * The door of every route, enumerated from the OpenAPI document (`/docs/json`) so a new route is
 * covered without anyone listing it: no key → 401, an events:write key on an admin route → 403,
 * the right key → neither. Public routes are listed here by name, and every route must declare
 * its auth in code — a route that forgets fails this test (in production it would require admin).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@mc/config';
import { createTestSchema, type TestSchema } from '@mc/db';
import { createLogger, createIngestMetrics } from '@mc/observability';
import { createIngestContext } from './context';
import { buildApp } from './app';

// Each app start builds a schema, Prisma and Redis clients: slow on a shared 2-core machine.
jest.setTimeout(30_000);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const ADMIN = `admin-${randomBytes(8).toString('hex')}`;
const INGEST = `ingest-${randomBytes(8).toString('hex')}`;

/** Open without a key, each for a reason. */
const PUBLIC = [
  'GET /healthz', // liveness
  'GET /readyz', // readiness
  'GET /nl/jsp/schemawsdl.jsp', // the WSDL a SOAP client loads
  'POST /nl/jsp/soaprouter.jsp', // the SOAP router checks its own credentials (sessiontoken)
  'GET /outbox', // the dev outbox viewer: open while bound to loopback only
  'GET /outbox/{file}',
  'POST /v1/feedback/sns', // SES feedback through SNS: the SNS signature is the credential
];
/** Needs events:write (admin passes everywhere); everything else needs admin. */
const EVENTS_WRITE = ['POST /v1/events', 'GET /v1/events', 'POST /v1/events/batch', 'GET /v1/events/{id}'];
/** Values for path parameters: ones that match nothing, so no admin call changes anything. */
const PARAMS: Record<string, string> = { id: '999999999', n: '1', key: 'NO_SUCH_TYPE', file: 'none.eml', queueName: 'nope', jobId: '1' };

let db: TestSchema;
let outboxDir: string;
const stops: (() => Promise<void>)[] = [];

async function startApp(env: Record<string, string>) {
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL,
    QUEUE_PREFIX: `routes-${randomBytes(4).toString('hex')}`,
    MC_ADMIN_KEY: ADMIN,
    MC_INGEST_KEY: INGEST,
    OUTBOX_DIR: outboxDir,
    ...env,
  });
  const logger = createLogger({ name: 'test', level: 'silent' });
  const metrics = createIngestMetrics();
  const ctx = await createIngestContext(config, logger, metrics);
  const app = await buildApp({ ctx, logger, metrics });
  await app.ready();
  stops.push(async () => {
    await app.close();
    const keys = await ctx.redis.keys(`${config.queuePrefix}:*`);
    if (keys.length) await ctx.redis.del(...keys);
    await ctx.close();
  });
  return app;
}

let app: Awaited<ReturnType<typeof startApp>>;

beforeAll(async () => {
  db = await createTestSchema(DATABASE_URL);
  outboxDir = await mkdtemp(path.join(tmpdir(), 'mc-outbox-'));
  // No SMTP_URL: the dev outbox viewer is mounted, as with `npm start`.
  app = await startApp({ HOST: '127.0.0.1' });
});

afterAll(async () => {
  for (const stop of stops) await stop();
  await db?.drop();
  if (outboxDir) await rm(outboxDir, { recursive: true, force: true });
});

const call = (method: string, url: string, key?: string) =>
  app.inject({ method: method as 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} });

/** Every operation in the OpenAPI document as "METHOD /path/{param}". */
async function operations(): Promise<string[]> {
  const document = (await call('GET', '/docs/json')).json() as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(document.paths).flatMap(([route, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${route}`),
  );
}

const concrete = (route: string) => route.replace(/\{(\w+)\}/g, (_m, name: string) => PARAMS[name] ?? 'x');

test('every route declares its auth in code, and the public ones are exactly those listed here', () => {
  const table = app.routeAuthTable().filter((route) => route.method !== 'HEAD');
  expect(table.filter((route) => route.declared === undefined).map((r) => `${r.method} ${r.url}`)).toEqual([]);
  const publicRoutes = table
    .filter((route) => route.declared === 'public' && !route.url.startsWith('/docs') && !route.url.startsWith('/console'))
    .map((route) => `${route.method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
  expect(publicRoutes.sort()).toEqual([...PUBLIC].sort());
});

test('the OpenAPI document lists the routes this test knows to be public or events:write', async () => {
  const listed = await operations();
  expect(listed.length).toBeGreaterThan(20);
  expect(listed).toEqual(expect.arrayContaining([...EVENTS_WRITE, 'GET /healthz', 'GET /readyz']));
});

test('every route in the OpenAPI document: no key → 401, an events:write key on an admin route → 403, the right key passes', async () => {
  const wrong: string[] = [];
  for (const operation of await operations()) {
    const [method, route] = operation.split(' ') as [string, string];
    const url = concrete(route);
    const [anonymous, ingest, admin] = await Promise.all([call(method, url), call(method, url, INGEST), call(method, url, ADMIN)]);
    const expected = PUBLIC.includes(operation)
      ? { anonymous: 'open', ingest: 'open', admin: 'open' }
      : EVENTS_WRITE.includes(operation)
        ? { anonymous: '401', ingest: 'open', admin: 'open' }
        : { anonymous: '401', ingest: '403', admin: 'open' };
    const seen = (status: number) => (status === 401 || status === 403 ? String(status) : 'open');
    const actual = { anonymous: seen(anonymous.statusCode), ingest: seen(ingest.statusCode), admin: seen(admin.statusCode) };
    if (JSON.stringify(actual) !== JSON.stringify(expected)) wrong.push(`${operation}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    if (anonymous.statusCode === 401) expect(anonymous.headers['content-type']).toMatch(/application\/problem\+json/);
  }
  expect(wrong).toEqual([]);
}, 60_000); // ~90 requests, some loading MJML or mailparser on first use, on a shared machine

test('routes outside the OpenAPI document: the dashboard needs admin, /metrics a metrics key, the docs are open', async () => {
  const created = await app.inject({
    method: 'POST',
    url: '/v1/api-keys',
    headers: { authorization: `Bearer ${ADMIN}` },
    payload: { name: 'prometheus', scopes: ['metrics'] },
  });
  expect(created.statusCode).toBe(201);
  const METRICS = (created.json() as { key: string }).key;
  for (const url of ['/admin/queues', '/admin/queues/api/queues', '/metrics']) {
    expect([url, (await call('GET', url)).statusCode]).toEqual([url, 401]);
    expect([url, (await call('GET', url, INGEST)).statusCode]).toEqual([url, 403]);
    expect([url, (await call('GET', url, ADMIN)).statusCode]).toEqual([url, 200]);
  }
  // A scraper's key reads /metrics and nothing else.
  const scraped = await call('GET', '/metrics', METRICS);
  expect(scraped.statusCode).toBe(200);
  for (const url of ['/admin/queues', '/v1/api-keys', '/v1/events']) expect([url, (await call('GET', url, METRICS)).statusCode]).toEqual([url, 403]);
  // BullMQ's queue depths, one family each (a second HELP line would fail the whole scrape).
  expect(scraped.body.match(/^# HELP bullmq_job_count /gm)).toHaveLength(1);
  for (const queue of ['events-realtime', 'events-batch', 'webhooks', 'maintenance']) {
    expect(scraped.body).toContain(`bullmq_job_count{queue="${queue}", state="waiting"} `);
  }
  const refused = await call('PUT', '/admin/queues/api/queues/pause', INGEST);
  expect(refused.statusCode).toBe(403);
  for (const url of ['/docs', '/docs/json', '/healthz']) expect([url, (await call('GET', url)).statusCode]).not.toEqual([url, 401]);
  expect((await call('GET', '/outbox')).statusCode).toBe(200);
});

test('the console: its static files are public, hidden from the OpenAPI document, under a strict CSP; deep links get index.html', async () => {
  const consoleRoutes = app.routeAuthTable().filter((route) => route.url.startsWith('/console'));
  expect(consoleRoutes.length).toBeGreaterThan(0);
  expect(consoleRoutes.filter((route) => route.declared !== 'public')).toEqual([]);
  expect((await operations()).filter((operation) => operation.includes('/console'))).toEqual([]);
  expect((await call('GET', '/console')).headers.location).toBe('/console/');
  for (const url of ['/console/', '/console/templates/42']) {
    const page = await call('GET', url);
    // 200 with a built console (ensure-ready builds it), 503 naming the build step without one.
    expect([url, page.statusCode]).toEqual([url, page.statusCode === 503 ? 503 : 200]);
    if (page.statusCode === 200) expect(page.body).toContain('<div id="root">');
    else expect(page.json().detail).toMatch(/npm run build/);
    const csp = String(page.headers['content-security-policy']);
    for (const directive of ["script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'self'"]) expect(csp).toContain(directive);
    expect(csp).not.toMatch(/script-src[^;]*(unsafe|\*)/);
  }
  const missing = await call('GET', '/console/assets/nope.js');
  expect([404, 503]).toContain(missing.statusCode);
});

test('off loopback the outbox viewer needs admin', async () => {
  const exposed = await startApp({ HOST: '0.0.0.0' });
  const get = (key?: string) => exposed.inject({ method: 'GET', url: '/outbox', headers: key ? { authorization: `Bearer ${key}` } : {} });
  expect((await get()).statusCode).toBe(401);
  expect((await get(INGEST)).statusCode).toBe(403);
  expect((await get(ADMIN)).statusCode).toBe(200);
});
