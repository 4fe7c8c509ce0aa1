/**
 * Publish and preview of an email's sender headers, in process against the running Postgres
 * and Redis: a `from` or `replyTo` that is not exactly one mailbox with the template's test
 * data is refused at publish (422 naming the field) and only warned about in preview.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@mc/config';
import { createTestSchema, type TestSchema } from '@mc/db';
import { createLogger, createIngestMetrics } from '@mc/observability';
import { createIngestContext, type IngestContext } from '../context';
import { buildApp } from '../app';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const ADMIN = `admin-${randomBytes(8).toString('hex')}`;
const prefix = `tpl-${randomBytes(4).toString('hex')}`;
const auth = { authorization: `Bearer ${ADMIN}` };
const mjml = '<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{ ctx.name }}</mj-text></mj-column></mj-section></mj-body></mjml>';

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
  const created = await app.inject({ method: 'POST', url: '/v1/event-types', headers: auth, payload: { key: 'ORDER', label: 'Order' } });
  expect(created.statusCode).toBe(201);
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

async function template(content: Record<string, string>, testData: Record<string, unknown>): Promise<string> {
  const created = await app.inject({
    method: 'POST',
    url: '/v1/templates',
    headers: auth,
    payload: { eventType: 'ORDER', channel: 'email', name: `t-${randomBytes(3).toString('hex')}`, content: { subject: 'Order', mjml, ...content }, testData },
  });
  expect(created.statusCode).toBe(201);
  return created.json().id as string;
}

test('a from that renders as two addresses with the test data: publish 422 naming the field, preview warns', async () => {
  const id = await template({ from: '{{ ctx.shop }} <no-reply@shop.example>' }, { ctx: { shop: 'attacker@evil.example, Shop', name: 'Ada' } });

  const published = await app.inject({ method: 'POST', url: `/v1/templates/${id}/publish`, headers: auth });
  expect(published.statusCode).toBe(422);
  expect(published.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(published.json()).toMatchObject({
    status: 422,
    errors: [{ path: 'content/from', message: expect.stringMatching(/^from: with the test data it renders as .* names more than one address/) }],
  });

  const preview = await app.inject({ method: 'POST', url: `/v1/templates/${id}/preview`, headers: auth, payload: {} });
  expect(preview.statusCode).toBe(200);
  expect(preview.json().warnings).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'from', message: expect.stringMatching(/names more than one address/) })]));
});

test('a replyTo group is refused at publish; one mailbox publishes', async () => {
  const group = await template({ replyTo: 'Team: a@shop.example, b@shop.example;' }, { ctx: { name: 'Ada' } });
  const refused = await app.inject({ method: 'POST', url: `/v1/templates/${group}/publish`, headers: auth });
  expect(refused.statusCode).toBe(422);
  expect(refused.json().errors).toEqual([expect.objectContaining({ path: 'content/replyTo', message: expect.stringMatching(/is a group/) })]);

  const fine = await template({ from: '{{ ctx.shop }} <no-reply@shop.example>', replyTo: 'help@shop.example' }, { ctx: { shop: 'Shop', name: 'Ada' } });
  expect((await app.inject({ method: 'POST', url: `/v1/templates/${fine}/publish`, headers: auth })).statusCode).toBe(201);
});
