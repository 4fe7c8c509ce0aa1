/**
 * The doors in process (app.inject) against the running Postgres and Redis: failed
 * authentications throttled per client address (which TRUST_PROXY decides), a key-store fault
 * answered 503, a reset database reported by /readyz, a created key usable at once.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '@mc/config';
import { createTestSchema, shippedMigrations, type TestSchema } from '@mc/db';
import { createLogger, createIngestMetrics } from '@mc/observability';
import { createIngestContext } from './context';
import { buildApp } from './app';

// Each app start builds a schema, Prisma and Redis clients: slow on a shared 2-core machine.
jest.setTimeout(30_000);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const ADMIN = `admin-${randomBytes(8).toString('hex')}`;
const stops: (() => Promise<void>)[] = [];

/** An app on a schema of its own (so one test may drop it) and a queue prefix of its own. */
async function startApp(env: Record<string, string> = {}) {
  const db: TestSchema = await createTestSchema(DATABASE_URL);
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL,
    QUEUE_PREFIX: `auth-${randomBytes(4).toString('hex')}`,
    MC_ADMIN_KEY: ADMIN,
    SMTP_URL: 'smtp://127.0.0.1:1',
    ...env,
  });
  const logger = createLogger({ name: 'test', level: 'silent' });
  const metrics = createIngestMetrics();
  const ctx = await createIngestContext(config, logger, metrics);
  const app = await buildApp({ ctx, logger, metrics });
  stops.push(async () => {
    await app.close();
    const keys = await ctx.redis.keys(`${config.queuePrefix}:*`);
    if (keys.length) await ctx.redis.del(...keys);
    await ctx.close();
    await db.drop();
  });
  const get = (url: string, key?: string, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1') =>
    app.inject({ method: 'GET', url, remoteAddress, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers } });
  return { app, db, ctx, get };
}

afterAll(async () => {
  for (const stop of stops) await stop();
});

describe('failed authentications (AUTH_FAILURE_LIMIT=3, TRUST_PROXY unset)', () => {
  let door: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    door = await startApp({ AUTH_FAILURE_LIMIT: '3' });
  });

  test('past the limit an address gets 429 with Retry-After — a forged X-Forwarded-For changes nothing — even with the right key', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await door.get('/v1/event-types', `mc_wrong_${i}`, { 'x-forwarded-for': `6.6.6.${i}` })).statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);

    const right = await door.get('/v1/event-types', ADMIN, { 'x-forwarded-for': '7.7.7.7' });
    expect(right.statusCode).toBe(429);
    expect(right.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(right.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(right.json()).toMatchObject({ status: 429, detail: expect.stringMatching(/failed authentications from this address/) });

    // Another address is not affected; a missing key is not a failed attempt; public routes stay open.
    expect((await door.get('/v1/event-types', ADMIN, {}, '192.0.2.50')).statusCode).toBe(200);
    expect((await door.get('/v1/event-types', undefined, {}, '192.0.2.50')).statusCode).toBe(401);
    expect((await door.get('/healthz')).statusCode).toBe(200);
  });
});

test('SOAP logins count against the same address: past the limit a Client fault, with the right key too', async () => {
  const door = await startApp({ AUTH_FAILURE_LIMIT: '2' });
  const push = (token: string, remoteAddress = '127.0.0.1') =>
    door.app.inject({
      method: 'POST',
      url: '/nl/jsp/soaprouter.jsp',
      remoteAddress,
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: 'nms:rtEvent#PushEvent' },
      payload:
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:nms:rtEvent">' +
        `<soapenv:Body><urn:PushEvent><urn:sessiontoken>${token}</urn:sessiontoken>` +
        '<urn:domEvent><rtEvent type="NOPE" email="ann@example.com"/></urn:domEvent></urn:PushEvent></soapenv:Body></soapenv:Envelope>',
    });
  const faults = [];
  for (let i = 0; i < 3; i++) {
    const reply = await push(`mc_wrong_${i}`);
    expect(reply.statusCode).toBe(500);
    faults.push(/Rate limit exceeded/.test(reply.body) ? 'limited' : /Invalid login/i.test(reply.body) ? 'login' : reply.body);
  }
  expect(faults).toEqual(['login', 'login', 'limited']);
  expect((await push(ADMIN)).body).toMatch(/Rate limit exceeded/);
  // The REST door shares the count; another address is not affected.
  expect((await door.get('/v1/event-types', ADMIN)).statusCode).toBe(429);
  expect((await push(ADMIN, '192.0.2.60')).body).not.toMatch(/Rate limit exceeded|Invalid login/i);
});

test('behind a trusted proxy (TRUST_PROXY=127.0.0.1) failures count against the forwarded client address', async () => {
  const door = await startApp({ AUTH_FAILURE_LIMIT: '2', TRUST_PROXY: '127.0.0.1' });
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await door.get('/v1/event-types', 'mc_wrong', { 'x-forwarded-for': '6.6.6.6' })).statusCode);
  expect(statuses).toEqual([401, 401, 429]);
  expect((await door.get('/v1/event-types', ADMIN, { 'x-forwarded-for': '7.7.7.7' })).statusCode).toBe(200);
  expect((await door.get('/v1/event-types', ADMIN, { 'x-forwarded-for': '6.6.6.6' })).statusCode).toBe(429);
});

test('a created key works at once on the process that created it, and stops at once when revoked', async () => {
  const door = await startApp();
  const created = await door.app.inject({
    method: 'POST',
    url: '/v1/api-keys',
    headers: { authorization: `Bearer ${ADMIN}` },
    payload: { name: 'ci', scopes: ['events:write'] },
  });
  expect(created.statusCode).toBe(201);
  const { key, id } = created.json() as { key: string; id: number };
  expect((await door.get('/v1/events', key)).statusCode).toBe(200);
  expect((await door.get('/v1/event-types', key)).statusCode).toBe(403);
  const revoked = await door.app.inject({ method: 'DELETE', url: `/v1/api-keys/${id}`, headers: { authorization: `Bearer ${ADMIN}` } });
  expect(revoked.statusCode).toBe(204);
  expect((await door.get('/v1/events', key)).statusCode).toBe(401);
});

test('with the database reset under the running service: a stored-key check is 503 with Retry-After, and /readyz names what to run', async () => {
  const door = await startApp();
  expect((await door.get('/readyz')).json()).toMatchObject({ status: 'ready', postgres: 'up', migrations: 'applied' });

  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA "${door.db.schema}" CASCADE`);
    await admin.query(`CREATE SCHEMA "${door.db.schema}"`);
  } finally {
    await admin.end();
  }

  const unknown = await door.get('/v1/event-types', 'mc_some_unknown_key');
  expect(unknown.statusCode).toBe(503);
  expect(unknown.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(unknown.headers['retry-after']).toBe('5');
  expect(unknown.json()).toMatchObject({ status: 503, detail: expect.stringMatching(/cannot be checked/) });
  expect(unknown.body).not.toMatch(/api_keys|relation/);

  const ready = await door.get('/readyz');
  expect(ready.statusCode).toBe(503);
  expect(ready.headers['content-type']).toMatch(/application\/problem\+json/);
  const shipped = await shippedMigrations();
  expect(ready.json()).toMatchObject({
    status: 503,
    postgres: 'up',
    migrations: 'missing',
    missingMigrations: shipped,
    detail: expect.stringContaining('run npm run migrate'),
  });
});
