/**
 * The ingest app in process (app.inject), against the running Postgres and Redis: the
 * transport-level refusals every client may hit, each as problem+json.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@mc/config';
import { createTestSchema, type TestSchema } from '@mc/db';
import { createLogger, createIngestMetrics } from '@mc/observability';
import { createIngestContext, type IngestContext } from './context';
import { buildApp } from './app';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const ADMIN = `admin-${randomBytes(8).toString('hex')}`;

let db: TestSchema;
let app: Awaited<ReturnType<typeof buildApp>>;
let stopMain: () => Promise<void>;

/** The app on the test's schema and a queue prefix of its own; `stop` removes its Redis keys. */
async function startApp(env: Record<string, string | undefined> = {}) {
  const prefix = `app-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL,
    QUEUE_PREFIX: prefix,
    MC_ADMIN_KEY: ADMIN,
    SMTP_URL: 'smtp://127.0.0.1:1',
    ...env,
  });
  const logger = createLogger({ name: 'test', level: 'silent' });
  const metrics = createIngestMetrics();
  const ctx = await createIngestContext(config, logger, metrics);
  const started = await buildApp({ ctx, logger, metrics });
  return {
    ctx,
    app: started,
    async stop() {
      await started.close();
      if (ctx.redis.status === 'ready') {
        const keys = await ctx.redis.keys(`${prefix}:*`);
        if (keys.length) await ctx.redis.del(...keys);
      }
      await ctx.close();
    },
  };
}

beforeAll(async () => {
  db = await createTestSchema(DATABASE_URL);
  ({ app, stop: stopMain } = await startApp({ BODY_LIMIT_BYTES: '4096' }));
});

afterAll(async () => {
  await stopMain?.();
  await db?.drop();
});

const auth = { authorization: `Bearer ${ADMIN}` };

test('a body over the limit is 413 problem+json', async () => {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { ...auth, 'content-type': 'application/json' },
    payload: JSON.stringify({ type: 'T', ctx: { blob: 'x'.repeat(8000) } }),
  });
  expect(response.statusCode).toBe(413);
  expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(response.json()).toMatchObject({ status: 413, title: 'Body too large' });
});

test('a non-JSON content type is 415, broken JSON 400, an unknown route 404 — all problem+json', async () => {
  const text = await app.inject({ method: 'POST', url: '/v1/events', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'hi' });
  expect(text.statusCode).toBe(415);
  const broken = await app.inject({ method: 'POST', url: '/v1/events', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"type":' });
  expect(broken.statusCode).toBe(400);
  expect(broken.json().detail).not.toMatch(/\.js:\d+/);
  const missing = await app.inject({ method: 'GET', url: '/v1/nothing-here', headers: auth });
  expect(missing.statusCode).toBe(404);
  expect(missing.headers['content-type']).toMatch(/problem\+json/);
});

test('readyz reports Redis and Postgres up; the OpenAPI document lists the routes', async () => {
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  expect(ready.json()).toMatchObject({ redis: 'up', postgres: 'up' });
  const openapi = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
  expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/v1/events', '/v1/events/batch', '/v1/templates/{id}/publish']));
});

test('the dashboard asks browsers for the admin key and serves it to admins', async () => {
  const anonymous = await app.inject({ method: 'GET', url: '/admin/queues' });
  expect(anonymous.statusCode).toBe(401);
  expect(anonymous.headers['www-authenticate']).toMatch(/^Basic/);
  const basic = Buffer.from(`ops:${ADMIN}`).toString('base64');
  const page = await app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: `Basic ${basic}` } });
  expect(page.statusCode).toBe(200);
  expect(page.body).toMatch(/<html/i);
});

describe('with Redis unreachable', () => {
  let downApp: Awaited<ReturnType<typeof buildApp>>;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ app: downApp, stop } = await startApp({ REDIS_URL: 'redis://127.0.0.1:1' }));
    await downApp.inject({
      method: 'POST',
      url: '/v1/event-types',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: { key: 'DOWN', label: 'down' },
    });
  });
  afterAll(async () => {
    await stop?.();
  });

  test('an event is answered 503, never 202, and readyz says Redis is down', async () => {
    const response = await downApp.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: { type: 'DOWN', email: 'a@example.com' },
    });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ status: 503, detail: expect.stringMatching(/nothing was stored/) });
    const batch = await downApp.inject({
      method: 'POST',
      url: '/v1/events/batch',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: { events: [{ type: 'DOWN', email: 'a@example.com' }] },
    });
    expect(batch.statusCode).toBe(503);
    const ready = await downApp.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ redis: 'down', postgres: 'up' });
  });

  test('/metrics still answers with the process metrics, without the queue figures it cannot read', async () => {
    const scraped = await downApp.inject({ method: 'GET', url: '/metrics', headers: auth });
    expect(scraped.statusCode).toBe(200);
    expect(scraped.body).toMatch(/^# HELP process_cpu_user_seconds_total /m);
    expect(scraped.body).not.toContain('bullmq_job_count');
  });
});

describe('with a per-key ingest rate', () => {
  let limitedCtx: IngestContext;
  let limitedApp: Awaited<ReturnType<typeof buildApp>>;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ ctx: limitedCtx, app: limitedApp, stop } = await startApp({ INGEST_RATE_PER_KEY: '5' }));
    await limitedApp.inject({
      method: 'POST',
      url: '/v1/event-types',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: { key: 'RATED', label: 'rated' },
    });
  });
  afterAll(async () => {
    await stop?.();
  });

  test('over the rate an API key gets 429 with Retry-After, and nothing of that request is stored', async () => {
    // Start at the top of a second so the window does not roll over mid-test.
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)));
    const post = (payload: unknown, url = '/v1/events') =>
      limitedApp.inject({ method: 'POST', url, headers: { ...auth, 'content-type': 'application/json' }, payload });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post({ type: 'RATED', email: `a${i}@example.com` })).statusCode);
    expect(statuses).toEqual([202, 202, 202, 202, 202]);
    const refused = await post({ type: 'RATED', email: 'over@example.com' });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toMatchObject({ status: 429, detail: expect.stringMatching(/5 events per second/) });
    const batch = await post({ events: [{ type: 'RATED', email: 'b@example.com' }] }, '/v1/events/batch');
    expect(batch.statusCode).toBe(429);
    const counts = await limitedCtx.queues.realtime[0]!.getJobCounts('waiting', 'delayed');
    expect(counts.waiting + counts.delayed).toBe(5);
    expect(await limitedCtx.queues.batch[0]!.count()).toBe(0);
  });
});
