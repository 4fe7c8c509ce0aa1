/**
 * The feedback intake over HTTP against the real database: SES notifications signed with a key
 * made here (the certificate download reaches a local server through the app's SNS agent) and
 * raw DSN/ARF mail, each acting once — a repeat changes nothing — and refusals changing nothing.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@mc/config';
import { verpAddress } from '@mc/core';
import { createTestSchema, type TestSchema } from '@mc/db';
import { createLogger, createIngestMetrics } from '@mc/observability';
import { startSnsFake, type SnsFake } from '../../../../test/helpers/sns-signer';
import { buildArf, buildDsn } from '../../../../test/helpers/report-mail';
import { createIngestContext, type IngestContext } from '../context';
import { buildApp } from '../app';

jest.setTimeout(30_000);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const ADMIN = `admin-${randomBytes(8).toString('hex')}`;
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ses-feedback';
const VERP = { domain: 'bounce.shop.example', secret: `verp-${randomBytes(12).toString('hex')}` };

let db: TestSchema;
let sns: SnsFake;
let ctx: IngestContext;
let app: Awaited<ReturnType<typeof buildApp>>;
let typeId: number;
let nextId = BigInt(Date.now()) * 1000n;
const stops: (() => Promise<void>)[] = [];

async function start(env: Record<string, string>) {
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL,
    QUEUE_PREFIX: `feedback-${randomBytes(4).toString('hex')}`,
    MC_ADMIN_KEY: ADMIN,
    ...env,
  });
  const logger = createLogger({ name: 'test', level: 'silent' });
  const metrics = createIngestMetrics();
  const context = await createIngestContext(config, logger, metrics);
  const built = await buildApp({ ctx: context, logger, metrics, snsAgent: sns.agent });
  await built.ready();
  stops.push(async () => {
    await built.close();
    await context.close();
  });
  return { ctx: context, app: built, metrics };
}

let metrics: ReturnType<typeof createIngestMetrics>;

beforeAll(async () => {
  db = await createTestSchema(DATABASE_URL);
  sns = await startSnsFake('eu-west-1');
  ({ ctx, app, metrics } = await start({ FEEDBACK_SNS_TOPIC_ARNS: TOPIC, BOUNCE_DOMAIN: VERP.domain, VERP_SECRET: VERP.secret }));
  typeId = (await ctx.eventTypes.create({ key: 'ORDER', label: 'Order' })).id;
});

afterAll(async () => {
  for (const stop of stops) await stop();
  await sns?.close();
  await db?.drop();
});

/** An event sent to `email`, its delivery recorded with `providerMessageId`. */
async function sentEvent(email: string, providerMessageId = `<mc.${nextId}.test@${VERP.domain}>`) {
  const id = nextId++;
  await ctx.events.begin({ id, eventTypeId: typeId, type: 'ORDER', lane: 'realtime', channel: 'email', payload: { type: 'ORDER', email }, createdAt: new Date() });
  const at = new Date().toISOString();
  await ctx.events.settle(id, {
    status: 'sent',
    attempt: { channel: 'email', provider: 'smtp', deliveryStatus: 'sent', entry: { at, provider: 'smtp', outcome: 'sent' }, providerMessageId },
  });
  return { id, providerMessageId };
}

const postSns = (body: unknown, contentType = 'text/plain; charset=UTF-8') =>
  app.inject({ method: 'POST', url: '/v1/feedback/sns', headers: { 'content-type': contentType }, payload: JSON.stringify(body) });
const postMail = (raw: string, target = app) =>
  target.inject({ method: 'POST', url: '/v1/feedback/email', headers: { 'content-type': 'message/rfc822', authorization: `Bearer ${ADMIN}` }, payload: raw });

const sesBounce = (messageId: string, recipient: string, bounceType = 'Permanent') => ({
  notificationType: 'Bounce',
  bounce: {
    bounceType,
    bounceSubType: bounceType === 'Permanent' ? 'General' : 'MailboxFull',
    bouncedRecipients: [{ emailAddress: recipient, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }],
    feedbackId: randomBytes(8).toString('hex'),
    timestamp: new Date().toISOString(),
  },
  mail: { messageId: 'ses-' + randomBytes(6).toString('hex'), commonHeaders: { messageId }, destination: [recipient] },
});

const status = async (id: bigint) => (await ctx.events.find(id))!;
const suppressed = async (address: string) => (await ctx.suppressions.list({ channel: 'email', address })).length > 0;

describe('POST /v1/feedback/sns', () => {
  test('a signed permanent bounce suppresses the address and the event becomes bounced; a repeat changes nothing', async () => {
    const event = await sentEvent('gone@example.test');
    const notification = sns.notification(TOPIC, sesBounce(event.providerMessageId, 'gone@example.test'));
    const first = await postSns(notification);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ outcome: 'applied', effect: 'bounced', eventId: event.id.toString(), status: 'bounced' });
    expect(sns.fetched).toEqual([new URL(sns.certUrl).pathname]);
    expect(await status(event.id)).toMatchObject({ status: 'bounced', reason: expect.stringContaining('SES Permanent/General') });
    expect(await suppressed('gone@example.test')).toBe(true);

    const before = await status(event.id);
    const repeat = await postSns(notification);
    expect(repeat.json()).toMatchObject({ outcome: 'unchanged', status: 'bounced' });
    expect(await status(event.id)).toEqual(before);
    expect(await metrics.registry.getSingleMetricAsString('mc_events_finished_total')).toContain('status="bounced"} 1');
  });

  test('a tampered message and a foreign certificate host are refused, with nothing fetched and nothing changed', async () => {
    const event = await sentEvent('kept@example.test');
    const signed = sns.notification(TOPIC, sesBounce(event.providerMessageId, 'kept@example.test'));
    const fetchedBefore = sns.fetched.length;

    const tampered = await postSns({ ...signed, Message: signed['Message']!.replace('kept@', 'other@') });
    expect(tampered.statusCode).toBe(401);
    expect(tampered.headers['content-type']).toMatch(/application\/problem\+json/);

    const foreign = sns.sign({ ...signed, SigningCertURL: 'https://sns.eu-west-1.attacker.example/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem' });
    const refused = await postSns(foreign);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().detail).toMatch(/not an Amazon SNS certificate URL/);

    const unlisted = await postSns(sns.notification('arn:aws:sns:eu-west-1:123456789012:someone-else', sesBounce(event.providerMessageId, 'kept@example.test')));
    expect(unlisted.statusCode).toBe(403);

    expect(sns.fetched.length).toBe(fetchedBefore);
    expect(await status(event.id)).toMatchObject({ status: 'sent' });
    expect(await suppressed('kept@example.test')).toBe(false);
  });

  test('a complaint after a bounce → complained; a transient bounce is only noted on the delivery', async () => {
    const bounced = await sentEvent('moved@example.test');
    await postSns(sns.notification(TOPIC, sesBounce(bounced.providerMessageId, 'moved@example.test')));
    const complaint = {
      notificationType: 'Complaint',
      complaint: { complainedRecipients: [{ emailAddress: 'moved@example.test' }], complaintFeedbackType: 'abuse', feedbackId: 'c-1' },
      mail: { messageId: 'ses-x', commonHeaders: { messageId: bounced.providerMessageId } },
    };
    expect((await postSns(sns.notification(TOPIC, complaint), 'application/json')).json()).toMatchObject({ outcome: 'applied', status: 'complained' });
    // A late bounce never moves it back.
    await postSns(sns.notification(TOPIC, sesBounce(bounced.providerMessageId, 'moved@example.test')));
    expect(await status(bounced.id)).toMatchObject({ status: 'complained' });

    const delayed = await sentEvent('full@example.test');
    const transient = await postSns(sns.notification(TOPIC, sesBounce(delayed.providerMessageId, 'full@example.test', 'Transient')));
    expect(transient.json()).toMatchObject({ outcome: 'applied', effect: 'delayed', status: 'sent' });
    const row = await status(delayed.id);
    expect(row.status).toBe('sent');
    expect(row.deliveries[0]!.attemptLog.at(-1)).toMatchObject({ provider: 'feedback:ses', outcome: 'delayed' });
    expect(await suppressed('full@example.test')).toBe(false);
  });

  test('a subscription is confirmed only through an SNS host', async () => {
    const good = `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(TOPIC)}&Token=abc`;
    const confirmed = await postSns(sns.subscriptionConfirmation(TOPIC, good));
    expect(confirmed.json()).toEqual({ outcome: 'confirmed' });
    expect(sns.fetched.at(-1)).toMatch(/^\/\?Action=ConfirmSubscription/);

    const fetched = sns.fetched.length;
    const evil = await postSns(sns.subscriptionConfirmation(TOPIC, 'https://attacker.example/?Action=ConfirmSubscription'));
    expect(evil.statusCode).toBe(422);
    expect(sns.fetched.length).toBe(fetched);
  });
});

describe('POST /v1/feedback/email', () => {
  const original = (id: bigint, recipient: string) => ({ envelopeFrom: verpAddress(id.toString(), VERP), recipient, messageId: `<mc.${id}.x@${VERP.domain}>` });

  test('a DSN for a verified VERP address bounces the event; a forged one and a repeat change nothing', async () => {
    const event = await sentEvent('nobody@example.test');
    const forged = buildDsn({ ...original(event.id, 'nobody@example.test'), envelopeFrom: `bounces+${event.id}-0000000000000000@${VERP.domain}` });
    const refused = await postMail(forged);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().detail).toMatch(/does not verify/);
    expect(await status(event.id)).toMatchObject({ status: 'sent' });

    const dsn = buildDsn(original(event.id, 'nobody@example.test'));
    expect((await postMail(dsn)).json()).toEqual({ outcome: 'applied', effect: 'bounced', eventId: event.id.toString(), status: 'bounced' });
    expect(await suppressed('nobody@example.test')).toBe(true);
    const before = await status(event.id);
    expect((await postMail(dsn)).json()).toMatchObject({ outcome: 'unchanged' });
    expect(await status(event.id)).toEqual(before);
  });

  test('an ARF report makes the event complained', async () => {
    const event = await sentEvent('angry@example.test');
    expect((await postMail(buildArf(original(event.id, 'angry@example.test')))).json()).toMatchObject({ outcome: 'applied', status: 'complained' });
    expect(await suppressed('angry@example.test')).toBe(true);
  });

  test('mail that is not a report is refused with 422', async () => {
    const response = await postMail('From: a@x.example\r\nTo: b@y.example\r\nSubject: hi\r\n\r\nhello\r\n');
    expect(response.statusCode).toBe(422);
  });

  test('without BOUNCE_DOMAIN the mail intake answers 422 saying why', async () => {
    const plain = await start({});
    const event = await sentEvent('someone@example.test');
    const response = await postMail(buildDsn(original(event.id, 'someone@example.test')), plain.app);
    expect(response.statusCode).toBe(422);
    expect(response.json().detail).toMatch(/BOUNCE_DOMAIN is not set/);
  });
});
