/**
 * The webhook admin API without the e2e's exemption: the outbound policy refuses private and
 * plain-http URLs at create and update (422), secrets are shown once and stored sealed, and an
 * install with no SECRETS_KEY (off loopback) refuses to create endpoints with a 503 naming it.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@mc/config';
import { createSecretBox } from '@mc/core';
import { createTestSchema, type TestSchema } from '@mc/db';
import { createLogger, createIngestMetrics } from '@mc/observability';
import { createIngestContext } from '../context';
import { buildApp } from '../app';

jest.setTimeout(30_000);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const ADMIN = `admin-${randomBytes(8).toString('hex')}`;
const SECRETS_KEY = randomBytes(32);

let db: TestSchema;
const stops: (() => Promise<void>)[] = [];

async function startApp(env: Record<string, string>) {
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL,
    QUEUE_PREFIX: `wh-${randomBytes(4).toString('hex')}`,
    MC_ADMIN_KEY: ADMIN,
    SMTP_URL: 'smtp://127.0.0.1:2525',
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
  const call = (method: string, url: string, payload?: unknown) =>
    app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${ADMIN}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return call;
}

beforeAll(async () => {
  db = await createTestSchema(DATABASE_URL);
});
afterAll(async () => {
  for (const stop of stops) await stop();
  await db?.drop();
});

test('URLs the outbound policy refuses get 422 at create and at update', async () => {
  const call = await startApp({ SECRETS_KEY: SECRETS_KEY.toString('base64') });
  for (const url of ['https://127.0.0.1/hook', 'https://169.254.169.254/latest', 'http://hooks.example.com/x', 'https://localhost/x', 'ftp://x.example/']) {
    const refused = await call('POST', '/v1/webhook-endpoints', { url });
    expect([url, refused.statusCode]).toEqual([url, 422]);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.json().detail).toMatch(/^Refused by the outbound policy/);
  }
  const created = await call('POST', '/v1/webhook-endpoints', { url: 'https://hooks.example.com/mc' });
  expect(created.statusCode).toBe(201);
  const update = await call('PATCH', `/v1/webhook-endpoints/${created.json().id}`, { url: 'https://10.0.0.5/x' });
  expect(update.statusCode).toBe(422);
  const badType = await call('POST', '/v1/webhook-endpoints', { url: 'https://hooks.example.com/mc', events: ['event.pending'] });
  expect(badType.statusCode).toBe(400);
});

test('the secret is shown once, stored sealed, and the endpoint can be managed', async () => {
  const call = await startApp({ SECRETS_KEY: SECRETS_KEY.toString('hex') });
  const created = await call('POST', '/v1/webhook-endpoints', { url: 'https://hooks.example.com/a', events: ['event.sent', 'event.bounced'], description: 'CRM' });
  expect(created.statusCode).toBe(201);
  const { id, secret } = created.json();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  const row = await db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id } });
  expect(row.secret).not.toContain(secret.slice(6));
  expect(createSecretBox(SECRETS_KEY).open(row.secret)).toBe(secret);

  expect((await call('GET', `/v1/webhook-endpoints/${id}`)).json()).toMatchObject({ id, events: ['event.sent', 'event.bounced'], description: 'CRM', enabled: true });
  expect((await call('GET', `/v1/webhook-endpoints/${id}`)).json().secret).toBeUndefined();
  expect((await call('GET', '/v1/webhook-endpoints')).json().items.map((e: { id: number }) => e.id)).toContain(id);
  expect((await call('PATCH', `/v1/webhook-endpoints/${id}`, { events: [] })).json()).toMatchObject({ events: [] });
  expect((await call('POST', `/v1/webhook-endpoints/${id}/disable`)).json()).toMatchObject({ enabled: false, disabledReason: 'Disabled by an operator' });
  expect((await call('POST', `/v1/webhook-endpoints/${id}/test`)).statusCode).toBe(409);
  expect((await call('POST', `/v1/webhook-endpoints/${id}/enable`)).json()).toMatchObject({ enabled: true, disabledReason: null });

  const rotated = await call('POST', `/v1/webhook-endpoints/${id}/rotate-secret`);
  expect(rotated.json().secret).not.toBe(secret);
  expect(rotated.json().previousSecretExpiresAt).toEqual(expect.any(String));

  const test = await call('POST', `/v1/webhook-endpoints/${id}/test`);
  expect(test.statusCode).toBe(202);
  expect(test.json()).toMatchObject({ type: 'webhook.test', status: 'pending', webhookId: `msg_${test.json().id}` });
  expect((await call('GET', `/v1/webhook-endpoints/${id}/deliveries`)).json().items).toHaveLength(1);
  expect((await call('POST', `/v1/webhook-endpoints/${id}/deliveries/${test.json().id}/replay`)).statusCode).toBe(409);
  expect((await call('POST', `/v1/webhook-endpoints/${id}/deliveries/999999/replay`)).statusCode).toBe(404);

  expect((await call('DELETE', `/v1/webhook-endpoints/${id}`)).statusCode).toBe(204);
  expect((await call('GET', `/v1/webhook-endpoints/${id}`)).statusCode).toBe(404);
  expect((await call('DELETE', `/v1/webhook-endpoints/${id}`)).statusCode).toBe(404);
});

test('without SECRETS_KEY off loopback, creating an endpoint is 503 naming SECRETS_KEY', async () => {
  const call = await startApp({ HOST: '0.0.0.0' });
  const refused = await call('POST', '/v1/webhook-endpoints', { url: 'https://hooks.example.com/a' });
  expect(refused.statusCode).toBe(503);
  expect(refused.json().detail).toMatch(/SECRETS_KEY/);
});
