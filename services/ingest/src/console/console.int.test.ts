/**
 * The console's API against the running Postgres and Redis, the app in-process: the message
 * as sent (rendered again equals what the worker's own processor handed its provider), events
 * found by recipient, an audit entry for every kind of admin change with actor and target, and
 * the queues' counts.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@mc/config';
import { EventsRepository, SuppressionsRepository, TemplatesRepository, createTestSchema, type TestSchema } from '@mc/db';
import type { EmailMessage, Provider, SendOutcome, SmsMessage } from '@mc/channels';
import type { EventJob } from '@mc/contracts';
import { createLogger, createIngestMetrics, type Logger } from '@mc/observability';
import { createIngestContext, type IngestContext } from '../context';
import { buildApp } from '../app';
// The worker's own code, so "as sent" is checked against what the worker really sends.
import { createDeliveryProcessor } from '../../../worker/src/delivery.processor';
import { createTemplateRoutes } from '../../../worker/src/template-routes';

jest.setTimeout(60_000);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const ADMIN = `admin-${randomBytes(8).toString('hex')}`;
const INGEST = `ingest-${randomBytes(8).toString('hex')}`;
const MAIL_FROM = 'Console Test <console@example.test>';

let db: TestSchema;
let ctx: IngestContext;
let app: Awaited<ReturnType<typeof buildApp>>;
let prefix: string;

async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, key = ADMIN) {
  const response = await app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return { status: response.statusCode, type: response.headers['content-type'], body: response.body ? (response.json() as any) : undefined };
}

beforeAll(async () => {
  db = await createTestSchema(DATABASE_URL);
  prefix = `console-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL,
    QUEUE_PREFIX: prefix,
    MC_ADMIN_KEY: ADMIN,
    MC_INGEST_KEY: INGEST,
    MAIL_FROM,
    SMTP_URL: 'smtp://127.0.0.1:1',
  });
  const logger = createLogger({ name: 'test', level: 'silent' });
  const metrics = createIngestMetrics();
  ctx = await createIngestContext(config, logger, metrics);
  app = await buildApp({ ctx, logger, metrics });
  await app.ready();
  expect((await call('POST', '/v1/event-types', { key: 'ORDER', label: 'Order' })).status).toBe(201);
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

/** Creates and publishes a template through the API; returns its id. */
async function publishedTemplate(channel: 'email' | 'sms' | 'push', content: Record<string, unknown>, eventType = 'ORDER') {
  const created = await call('POST', '/v1/templates', { eventType, channel, name: `${channel} template`, content });
  expect(created.status).toBe(201);
  expect((await call('POST', `/v1/templates/${created.body.id}/publish`)).status).toBe(201);
  return created.body.id as string;
}

const quiet = { child: () => quiet, info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as unknown as Logger;

/** Runs one event through the worker's processor with recording providers; returns what they were handed. */
async function deliverThroughWorker(data: EventJob) {
  const sent: (EmailMessage | SmsMessage)[] = [];
  const recording = <M extends EmailMessage | SmsMessage>(channel: 'email' | 'sms'): Provider<M> => ({
    name: `${channel}-recorder`,
    channel,
    send: async (message): Promise<SendOutcome> => {
      sent.push(message);
      return { kind: 'sent', provider: `${channel}-recorder`, providerMessageId: `m-${sent.length}` };
    },
    close: async () => undefined,
  });
  const templates = new TemplatesRepository(db.prisma);
  const processor = createDeliveryProcessor({
    eventTypes: { find: (key) => ctx.eventTypes.find(key) },
    events: new EventsRepository(db.prisma),
    suppressions: new SuppressionsRepository(db.prisma),
    routes: createTemplateRoutes({ findRoute: (...args) => templates.findRoute(...args), ttlMs: 0 }),
    providers: { email: recording<EmailMessage>('email'), sms: recording<SmsMessage>('sms') },
    mailFrom: ctx.config.mailFrom,
    retryBaseDelayMs: 50,
    retry: { email: { windowMs: 60_000 }, sms: { windowMs: 60_000 }, push: { windowMs: 60_000 } },
    logger: quiet,
  });
  // The send path of a job touches only its data (the send-once record).
  const job = { id: `ev-${data.id}`, data, updateData: async (next: EventJob) => void (job.data = next) };
  expect(await processor(job as never)).toBe('sent');
  expect(sent).toHaveLength(1);
  return sent[0]!;
}

describe('GET /v1/events/:id/message', () => {
  test('an email, rendered again, is the message the worker sent (MAIL_FROM when the template names no sender)', async () => {
    await publishedTemplate('email', {
      subject: 'Order {{ ctx.order }} for {{ email }}',
      mjml: '<mjml><mj-body><mj-section><mj-column><mj-text>Hello {{ ctx.name }}, event {{ eventId }} of type {{ type }} ({{ externalId }})</mj-text></mj-column></mj-section></mj-body></mjml>',
      replyTo: 'help+{{ ctx.order }}@example.test',
    });
    const sent = (await deliverThroughWorker({
      v: 1,
      id: '7001',
      lane: 'realtime',
      acceptedAt: new Date().toISOString(),
      channel: 'email',
      event: { type: 'ORDER', email: 'Ann@Example.COM', externalId: 'x-1', ctx: { order: 'A-1', name: 'Ann' } },
    })) as EmailMessage;
    expect(sent.subject).toBe('Order A-1 for Ann@Example.COM');

    const message = await call('GET', '/v1/events/7001/message');
    expect(message.status).toBe(200);
    expect(message.body).toEqual({
      channel: 'email',
      templateVersion: 1,
      subject: sent.subject,
      html: sent.html,
      text: sent.text,
      from: MAIL_FROM,
      replyTo: 'help+A-1@example.test',
    });
    expect(sent.from).toBe(MAIL_FROM);
    expect(sent.replyTo).toBe('help+A-1@example.test');
    expect(message.body.html).toContain('Hello Ann, event 7001 of type ORDER (x-1)');
  });

  test('an SMS, rendered again, is the text the worker sent', async () => {
    await publishedTemplate('sms', { text: 'Order {{ ctx.order }} is on its way to {{ mobilePhone }}' });
    const sent = (await deliverThroughWorker({
      v: 1,
      id: '7002',
      lane: 'realtime',
      acceptedAt: new Date().toISOString(),
      channel: 'sms',
      event: { type: 'ORDER', mobilePhone: '+46 70-123 45 67', ctx: { order: 'B-2' } },
    })) as SmsMessage;
    const message = await call('GET', '/v1/events/7002/message');
    expect(message.body).toEqual({ channel: 'sms', templateVersion: 1, text: sent.text });
    expect(sent.text).toBe('Order B-2 is on its way to +46 70-123 45 67');
  });

  test('a push message keeps title, body, url and data', async () => {
    const type = await ctx.eventTypes.create({ key: 'PUSHED', label: 'Pushed' });
    await publishedTemplate('push', { title: 'Hi {{ ctx.name }}', body: 'Order {{ ctx.order }}', url: 'https://shop.example/o/{{ ctx.order }}', data: { order: '{{ ctx.order }}' } }, 'PUSHED');
    const events = new EventsRepository(db.prisma);
    const route = await new TemplatesRepository(db.prisma).findRoute(type.id, 'push', ['']);
    const payload = { type: 'PUSHED', push: { snsEndpointArn: 'arn:aws:sns:eu-west-1:1:endpoint/APNS/app/1' }, ctx: { name: 'Bo', order: 'C-3' } };
    await events.begin({ id: 7003n, eventTypeId: type.id, type: 'PUSHED', lane: 'realtime', channel: 'push', payload, createdAt: new Date(), suppressionAddress: payload.push.snsEndpointArn });
    await events.settle(7003n, { status: 'sent', templateVersionId: route!.version.id });
    const message = await call('GET', '/v1/events/7003/message');
    expect(message.status).toBe(200);
    expect(message.body).toEqual({
      channel: 'push',
      templateVersion: 1,
      title: 'Hi Bo',
      body: 'Order C-3',
      url: 'https://shop.example/o/C-3',
      data: { order: 'C-3' },
    });
  });

  test('404 problem for an unknown event and for one never rendered', async () => {
    const unknown = await call('GET', '/v1/events/999999/message');
    expect(unknown.status).toBe(404);
    expect(unknown.type).toMatch(/^application\/problem\+json/);
    const type = await ctx.eventTypes.find('ORDER');
    const events = new EventsRepository(db.prisma);
    await events.begin({ id: 7004n, eventTypeId: type!.id, type: 'ORDER', lane: 'realtime', channel: 'email', payload: { type: 'ORDER' }, createdAt: new Date() });
    await events.settle(7004n, { status: 'targetingFailed', reason: 'The event has no email address' });
    const never = await call('GET', '/v1/events/7004/message');
    expect(never.status).toBe(404);
    expect(never.type).toMatch(/^application\/problem\+json/);
    expect(never.body.detail).toMatch(/never rendered/);
  });

  test('an events:write key is refused (admin only)', async () => {
    expect((await call('GET', '/v1/events/7001/message', undefined, INGEST)).status).toBe(403);
  });
});

describe('GET /v1/events?recipient=', () => {
  test('finds the events sent to an address: email in any case, phone in any spelling, an ARN as is', async () => {
    const rows = await db.prisma.event.findMany({ where: { id: { in: [7001n, 7002n, 7003n] } }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => r.recipient)).toEqual(['ann@example.com', '+46701234567', 'arn:aws:sns:eu-west-1:1:endpoint/APNS/app/1']);
    const ids = async (recipient: string) =>
      ((await call('GET', `/v1/events?recipient=${encodeURIComponent(recipient)}`, undefined, INGEST)).body.items as { id: string }[]).map((e) => e.id);
    expect(await ids('ann@example.com')).toEqual(['7001']);
    expect(await ids('ANN@example.com')).toEqual(['7001']);
    expect(await ids('+46 70 123 45 67')).toEqual(['7002']);
    expect(await ids('arn:aws:sns:eu-west-1:1:endpoint/APNS/app/1')).toEqual(['7003']);
    expect(await ids('bob@example.com')).toEqual([]);
  });

  test('the filter can be served by the recipient index', async () => {
    // The table is tiny, so the planner would scan it; with scans ruled out it must find the index.
    const plan = await db.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('SET LOCAL enable_seqscan = off');
      return tx.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN SELECT "id" FROM "events" WHERE "recipient" = 'ann@example.com'`);
    });
    // Each day's partition has its copy of the index (events_p<day>_recipient_idx, events_default_…).
    const text = plan.map((row) => row['QUERY PLAN']).join('\n');
    expect(text).toMatch(/Index (Only )?Scan using events_(p\d{8}|default)_recipient_idx/);
    expect(text).not.toMatch(/Seq Scan/);
  });
});

describe('the audit log', () => {
  test('every kind of admin change is recorded with its actor and target, newest first', async () => {
    const admin = { keyId: null, name: 'MC_ADMIN_KEY' };
    // Event types
    expect((await call('POST', '/v1/event-types', { key: 'AUDITED', label: 'Audited' })).status).toBe(201);
    expect((await call('PATCH', '/v1/event-types/AUDITED', { label: 'Audited too' })).status).toBe(200);
    expect((await call('POST', '/v1/event-types', { key: 'DOOMED', label: 'Doomed' })).status).toBe(201);
    expect((await call('DELETE', '/v1/event-types/DOOMED')).status).toBe(204);
    // Templates: create, update, publish twice, rollback, pause, resume, unpublish, proof, delete
    const created = await call('POST', '/v1/templates', { eventType: 'AUDITED', channel: 'sms', name: 'a', content: { text: 'v1' }, seedAddresses: ['+46700000000'] });
    const id = created.body.id as string;
    expect((await call('PATCH', `/v1/templates/${id}`, { content: { text: 'v1 {{ ctx.x }}' } })).status).toBe(200);
    expect((await call('POST', `/v1/templates/${id}/publish`)).status).toBe(201);
    expect((await call('PATCH', `/v1/templates/${id}`, { content: { text: 'v2' } })).status).toBe(200);
    expect((await call('POST', `/v1/templates/${id}/publish`)).status).toBe(201);
    expect((await call('POST', `/v1/templates/${id}/versions/1/publish`)).status).toBe(201);
    expect((await call('POST', `/v1/templates/${id}/pause`)).status).toBe(200);
    expect((await call('POST', `/v1/templates/${id}/resume`)).status).toBe(200);
    expect((await call('POST', `/v1/templates/${id}/unpublish`)).status).toBe(200);
    expect((await call('POST', `/v1/templates/${id}/test`, { to: ['+46700000001'] })).status).toBe(200);
    const spare = await call('POST', '/v1/templates', { eventType: 'AUDITED', channel: 'email', name: 'b', content: { subject: 's', mjml: '<mjml><mj-body></mj-body></mjml>' } });
    expect((await call('DELETE', `/v1/templates/${spare.body.id}`)).status).toBe(204);
    // Re-drive of a failed event
    const type = await ctx.eventTypes.find('AUDITED');
    const events = new EventsRepository(db.prisma);
    await events.begin({ id: 8001n, eventTypeId: type!.id, type: 'AUDITED', lane: 'realtime', channel: 'email', payload: { type: 'AUDITED', email: 'a@example.com' }, createdAt: new Date() });
    await events.settle(8001n, { status: 'deliveryFailed', reason: 'refused' });
    expect((await call('POST', '/v1/events/8001/retry')).status).toBe(202);
    // API keys, and a change made with a stored key (its id and name are the actor)
    const key = await call('POST', '/v1/api-keys', { name: 'ops-laptop', scopes: ['admin'] });
    expect(key.status).toBe(201);
    const suppression = await call('POST', '/v1/suppressions', { channel: 'email', address: 'Gone@Example.com', reason: 'left' }, key.body.key);
    expect(suppression.status).toBe(201);
    expect((await call('DELETE', `/v1/suppressions/${suppression.body.id}`)).status).toBe(204);
    expect((await call('DELETE', `/v1/api-keys/${key.body.id}`)).status).toBe(204);

    const page = await call('GET', '/v1/audit?limit=500');
    expect(page.status).toBe(200);
    const items = page.body.items as any[];
    const ids = items.map((e) => BigInt(e.id));
    expect([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0))).toEqual(ids); // newest first
    const byAction = (action: string) => items.filter((e) => e.action === action);
    for (const action of [
      'eventType.create', 'eventType.update', 'eventType.delete',
      'template.create', 'template.update', 'template.delete', 'template.publish', 'template.unpublish',
      'template.rollback', 'template.pause', 'template.resume', 'template.proof',
      'event.redrive', 'apiKey.create', 'apiKey.revoke', 'suppression.add', 'suppression.remove',
    ]) {
      expect([action, byAction(action).length > 0]).toEqual([action, true]);
      for (const entry of byAction(action)) expect(Date.parse(entry.at)).not.toBeNaN();
    }
    expect(byAction('eventType.delete')[0]).toMatchObject({ actor: admin, target: { type: 'eventType', id: 'DOOMED' } });
    expect(byAction('eventType.update')[0]).toMatchObject({ target: { type: 'eventType', id: 'AUDITED' }, details: { fields: expect.arrayContaining(['label']) } });
    expect(byAction('template.rollback')[0]).toMatchObject({ actor: admin, target: { type: 'template', id }, details: { version: 1 } });
    expect(byAction('template.publish').filter((e) => e.target.id === id).map((e) => e.details.version)).toEqual([2, 1]);
    expect(byAction('template.proof')[0]).toMatchObject({ target: { type: 'template', id }, details: { to: ['+46700000001'] } });
    expect(byAction('template.delete')[0]).toMatchObject({ target: { type: 'template', id: spare.body.id } });
    expect(byAction('event.redrive')[0]).toMatchObject({ actor: admin, target: { type: 'event', id: '8001' }, details: { generation: 1, priorStatus: 'deliveryFailed' } });
    expect(byAction('apiKey.create')[0]).toMatchObject({ actor: admin, target: { type: 'apiKey', id: String(key.body.id) }, details: { name: 'ops-laptop', scopes: ['admin'] } });
    expect(byAction('apiKey.create')[0].details).not.toHaveProperty('key');
    expect(byAction('apiKey.revoke')[0]).toMatchObject({ actor: admin, target: { type: 'apiKey', id: String(key.body.id) } });
    const byKey = { keyId: String(key.body.id), name: 'ops-laptop' };
    expect(byAction('suppression.add')[0]).toMatchObject({
      actor: byKey,
      target: { type: 'suppression', id: String(suppression.body.id) },
      details: { channel: 'email', address: 'gone@example.com', reason: 'left' },
    });
    expect(byAction('suppression.remove')[0]).toMatchObject({ actor: admin, target: { type: 'suppression', id: String(suppression.body.id) } });
    // A refused change leaves no entry.
    expect((await call('DELETE', '/v1/templates/no-such-template')).status).toBe(404);
    expect((await call('GET', '/v1/audit?targetId=no-such-template')).body.items).toEqual([]);
  });

  test('filters and pages', async () => {
    const all = (await call('GET', '/v1/audit?limit=500')).body.items as any[];
    const template = all.find((e) => e.action === 'template.rollback').target.id as string;
    const forTemplate = await call('GET', `/v1/audit?targetType=template&targetId=${template}`);
    expect(forTemplate.body.items.length).toBeGreaterThan(5);
    expect(forTemplate.body.items.every((e: any) => e.target.id === template && e.target.type === 'template')).toBe(true);
    const publishes = await call('GET', '/v1/audit?action=template.publish');
    expect(publishes.body.items.every((e: any) => e.action === 'template.publish')).toBe(true);

    const first = await call('GET', '/v1/audit?limit=3');
    expect(first.body.items).toEqual(all.slice(0, 3));
    expect(first.body.nextCursor).toBe(all[2].id);
    const second = await call('GET', `/v1/audit?limit=3&cursor=${first.body.nextCursor}`);
    expect(second.body.items).toEqual(all.slice(3, 6));
    const last = await call('GET', `/v1/audit?limit=500&cursor=${all[all.length - 2].id}`);
    expect(last.body).toEqual({ items: [all[all.length - 1]], nextCursor: null });
    const bad = await call('GET', '/v1/audit?cursor=abc');
    expect(bad.status).toBe(400);
    expect(bad.type).toMatch(/^application\/problem\+json/);
    expect((await call('GET', '/v1/audit', undefined, INGEST)).status).toBe(403);
  });
});

describe('GET /v1/queues', () => {
  test('counts jobs per lane and state, and a paused queue’s jobs as paused', async () => {
    const counts = async () => {
      const response = await call('GET', '/v1/queues');
      expect(response.status).toBe(200);
      expect(response.body.dashboard).toBe('/admin/queues');
      expect(response.body.lanes.map((l: any) => [l.lane, l.queue])).toEqual([
        ['realtime', 'events-realtime'],
        ['batch', 'events-batch'],
      ]);
      return Object.fromEntries(response.body.lanes.map((l: any) => [l.lane, l.counts]));
    };
    const before = await counts();
    await ctx.queues.batch[0]!.add('deliver', { probe: 1 }, { jobId: 'probe-wait' });
    await ctx.queues.batch[0]!.add('deliver', { probe: 2 }, { jobId: 'probe-delay', delay: 600_000 });
    const after = await counts();
    expect(after.batch).toEqual({ ...before.batch, waiting: before.batch.waiting + 1, delayed: before.batch.delayed + 1 });
    expect(after.realtime).toEqual(before.realtime);

    await ctx.queues.batch[0]!.pause();
    try {
      const paused = await counts();
      expect(paused.batch).toMatchObject({ waiting: 0, paused: after.batch.waiting, delayed: after.batch.delayed });
    } finally {
      await ctx.queues.batch[0]!.resume();
    }
    expect((await call('GET', '/v1/queues', undefined, INGEST)).status).toBe(403);
  });
});

test('the new routes are in the OpenAPI document with their response schemas', async () => {
  const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as any;
  expect(document.paths['/v1/events/{id}/message'].get.responses['200'].content['application/json'].schema.properties).toHaveProperty('templateVersion');
  expect(document.paths['/v1/audit'].get.responses['200'].content['application/json'].schema.properties).toHaveProperty('nextCursor');
  expect(document.paths['/v1/queues'].get.responses['200'].content['application/json'].schema.properties).toHaveProperty('lanes');
  expect(document.paths['/v1/events'].get.parameters.map((p: any) => p.name)).toContain('recipient');
});

test('PATCH of an event type changes only the fields sent: a disabled type stays disabled', async () => {
  expect((await call('POST', '/v1/event-types', { key: 'SLEEPY', label: 'Sleepy', enabled: false })).status).toBe(201);
  const patched = await call('PATCH', '/v1/event-types/SLEEPY', { label: 'Still sleepy' });
  expect(patched.status).toBe(200);
  expect(patched.body).toMatchObject({ label: 'Still sleepy', enabled: false });
  expect((await call('POST', '/v1/event-types', { key: 'AWAKE', label: 'Awake' })).body).toMatchObject({ enabled: true });
});
