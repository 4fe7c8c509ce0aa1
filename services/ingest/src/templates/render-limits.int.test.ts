/**
 * Publish and preview render the template's testData under the send-time limits: a template
 * whose test data hits a limit is refused (422 naming the limit), one that comes past half a
 * limit publishes with a warning. Through the real routes, Postgres and Redis.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@mc/config';
import { createTestSchema, type TestSchema } from '@mc/db';
import { createLogger, createIngestMetrics } from '@mc/observability';
import { createIngestContext, type IngestContext } from '../context';
import { buildApp } from '../app';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const ADMIN = `admin-${randomBytes(8).toString('hex')}`;
jest.setTimeout(30_000);

const prefix = `limits-${randomBytes(4).toString('hex')}`;

let db: TestSchema;
let ctx: IngestContext;
let app: Awaited<ReturnType<typeof buildApp>>;

beforeAll(async () => {
  db = await createTestSchema(DATABASE_URL);
  const config = loadConfig({ DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL, QUEUE_PREFIX: prefix, MC_ADMIN_KEY: ADMIN, SMTP_URL: 'smtp://127.0.0.1:1' });
  const logger = createLogger({ name: 'test', level: 'silent' });
  const metrics = createIngestMetrics();
  ctx = await createIngestContext(config, logger, metrics);
  app = await buildApp({ ctx, logger, metrics });
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

const api = async (method: 'POST' | 'GET', url: string, body?: unknown) => {
  const response = await app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN}` }, ...(body !== undefined ? { payload: body as object } : {}) });
  return { status: response.statusCode, body: response.json(), type: response.headers['content-type'] };
};

let eventType = 0;
async function draft(text: string, testData: Record<string, unknown>): Promise<string> {
  const key = `LIMITS_${++eventType}`;
  expect((await api('POST', '/v1/event-types', { key, label: key })).status).toBe(201);
  const created = await api('POST', '/v1/templates', { eventType: key, name: key, channel: 'sms', content: { text }, testData });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

test("a template whose test data hits a render limit is refused at publish (422 naming the limit); preview reports it", async () => {
  const id = await draft('Hi {{ ctx.name }}{% for i in (1..100000000) %}x{% endfor %}', { ctx: { name: 'Ada' } });
  const refused = await api('POST', `/v1/templates/${id}/publish`);
  expect(refused.status).toBe(422);
  expect(refused.type).toMatch(/application\/problem\+json/);
  expect(refused.body.detail).toMatch(/^The template exceeds the memoryLimit render limit with its test data: text \(line 1, column \d+\): .*the memory limit \(memoryLimit, 10,000,000/);
  expect(refused.body.errors).toEqual([expect.objectContaining({ path: 'content/text', message: expect.stringContaining('memoryLimit') })]);
  // Nothing was published.
  expect((await api('GET', `/v1/templates/${id}/versions`)).body).toMatchObject({ items: [] });

  const preview = await api('POST', `/v1/templates/${id}/preview`, {});
  expect(preview.status).toBe(422);
  expect(preview.body.detail).toMatch(/memoryLimit render limit/);
});

test('a template that comes past half a limit publishes, with a warning', async () => {
  const id = await draft('Hi {{ ctx.name }}: {{ ctx.blob | upcase | downcase | size }}', { ctx: { name: 'Ada', blob: 'x'.repeat(2_600_000) } });
  const published = await api('POST', `/v1/templates/${id}/publish`);
  expect(published.status).toBe(201);
  expect(published.body.warnings).toEqual([{ field: 'text', message: expect.stringMatching(/^allocates 5,2\d\d,\d\d\d characters .* over half the memory limit \(memoryLimit/) }]);
  const preview = await api('POST', `/v1/templates/${id}/preview`, {});
  expect(preview.status).toBe(200);
  expect(preview.body.warnings).toEqual([expect.objectContaining({ field: 'text', message: expect.stringContaining('over half the memory limit') })]);
});
