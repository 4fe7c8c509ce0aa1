/**
 * Provider failover and shared rate limits end to end. Failover: the primary SMTP relay keeps
 * answering 421, so after FAILOVER_THRESHOLD transient failures the sends go to the secondary
 * relay, and the delivery row names it. Rate limits: EMAIL_RATE_PER_SECOND holds within 10%
 * across two worker processes (one limit in Redis), and a push service's 429 slows that
 * provider alone, not email.
 */
import { Redis } from 'ioredis';
import { generateVAPIDKeys } from 'web-push';
import {
  startSmtpSink,
  startSnsEndpoint,
  startWebPushReceiver,
  type SnsEndpoint,
  type ReceivedPush,
  type SmtpReplyPolicy,
  type SmtpSink,
  type WebPushReceiver,
  type WebPushReply,
} from '../../packages/channels/src/testing';
import { REDIS_URL, startSystem, waitForEvent, waitForStatus, type System } from '../helpers/system';

jest.setTimeout(90_000);

const MJML = '<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{ ctx.n }}</mj-text></mj-column></mj-section></mj-body></mjml>';

async function publishTemplates(system: System, templates: { channel: string; content: Record<string, unknown> }[]) {
  expect((await system.api('POST', '/v1/event-types', { key: 'NOTE', label: 'Note' })).status).toBe(201);
  for (const template of templates) {
    const created = await system.api('POST', '/v1/templates', { eventType: 'NOTE', name: template.channel, ...template });
    expect(created.status).toBe(201);
    expect((await system.api('POST', `/v1/templates/${created.body.id}/publish`)).status).toBe(201);
  }
}

const pushEvent = async (system: System, body: Record<string, unknown>) => {
  const accepted = await system.api('POST', '/v1/events', { type: 'NOTE', ...body }, system.ingestKey);
  expect(accepted.status).toBe(202);
  return accepted.body.id as string;
};

/** Least-squares slope of (arrival time, index): messages per second. */
function slopePerSecond(times: number[]): number {
  const n = times.length;
  const meanT = times.reduce((a, t) => a + t, 0) / n;
  const meanI = (n - 1) / 2;
  let num = 0;
  let den = 0;
  times.forEach((t, i) => {
    num += (t - meanT) * (i - meanI);
    den += (t - meanT) ** 2;
  });
  return (num / den) * 1000;
}

describe('failover to the secondary provider', () => {
  let system: System;
  let secondary: SmtpSink;
  let sns: SnsEndpoint;
  let primaryName: string;
  let secondaryName: string;

  beforeAll(async () => {
    secondary = await startSmtpSink();
    // One SNS endpoint for both regions; it tells them apart by the SigV4 scope. The primary
    // region is down (500 InternalError), the secondary answers.
    sns = await startSnsEndpoint({
      reply: (p) => (p.signedFor.startsWith('eu-west-1/') ? { code: 'InternalError', type: 'Receiver', message: 'Service is down' } : undefined),
    });
    // The system's own sink is the primary relay, and it is unwell: every recipient gets 421.
    const unwell: SmtpReplyPolicy = (stage) => (stage === 'rcpt' ? { code: 421, message: '4.3.2 Service shutting down' } : undefined);
    system = await startSystem({
      smtpReply: unwell,
      env: {
        SMTP_SECONDARY_URL: secondary.url,
        AWS_REGION: 'eu-west-1',
        SNS_SECONDARY_REGION: 'eu-north-1',
        SNS_ENDPOINT: sns.url,
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLETEST',
        AWS_SECRET_ACCESS_KEY: 'test-secret-key',
        AWS_EC2_METADATA_DISABLED: 'true',
        FAILOVER_THRESHOLD: '2',
        DELIVERY_ATTEMPTS: '5',
      },
    });
    primaryName = `smtp:127.0.0.1:${system.sink.port}`;
    secondaryName = `smtp:127.0.0.1:${secondary.port}`;
    await publishTemplates(system, [
      { channel: 'email', content: { subject: 'Note {{ ctx.n }}', mjml: MJML } },
      { channel: 'sms', content: { text: 'Note {{ ctx.n }}' } },
    ]);
  });
  afterAll(async () => {
    await system?.stop();
    await secondary?.close();
    await sns?.close();
  });

  test('after FAILOVER_THRESHOLD transient failures the send goes to the secondary, which the delivery row names', async () => {
    const first = await pushEvent(system, { email: 'first@example.com', ctx: { n: 1 } });
    const done = await waitForStatus(system, first, ['sent', 'deliveryFailed'], 30_000);
    expect(done.status).toBe('sent');
    // Two 421s from the primary (the threshold), then the secondary took it.
    expect(done.deliveries).toEqual([expect.objectContaining({ channel: 'email', provider: secondaryName, status: 'sent', attempts: 3 })]);
    const [row] = await system.db.prisma.delivery.findMany({ where: { eventId: BigInt(first) } });
    const log = row!.attemptLog as { provider: string; outcome: string; error?: string }[];
    expect(log.map((a) => [a.provider, a.outcome])).toEqual([
      [primaryName, 'transient'],
      [primaryName, 'transient'],
      [secondaryName, 'sent'],
    ]);
    expect(log[0]!.error).toMatch(/^421 4\.3\.2/);
    expect(secondary.messages.map((m) => m.envelope.rcptTo[0])).toEqual(['first@example.com']);
    expect(system.sink.messages).toHaveLength(0);

    // Later events go straight to the secondary while the primary cools down.
    const later = await Promise.all([2, 3, 4, 5, 6].map((n) => pushEvent(system, { email: `later${n}@example.com`, ctx: { n } })));
    for (const id of later) {
      const sent = await waitForStatus(system, id, ['sent', 'deliveryFailed']);
      expect(sent.status).toBe('sent');
      expect(sent.deliveries).toEqual([expect.objectContaining({ provider: secondaryName, status: 'sent', attempts: 1 })]);
    }
    await secondary.waitForMessages(6);
    expect(secondary.messages.map((m) => m.parsed.subject).sort()).toEqual(['Note 1', 'Note 2', 'Note 3', 'Note 4', 'Note 5', 'Note 6']);
    expect(system.sink.messages).toHaveLength(0);
  });

  test('SMS fails over to SNS_SECONDARY_REGION the same way', async () => {
    const first = await pushEvent(system, { wishedChannel: 'sms', mobilePhone: '+46701230001', ctx: { n: 1 } });
    const done = await waitForStatus(system, first, ['sent', 'deliveryFailed'], 30_000);
    expect(done.status).toBe('sent');
    expect(done.deliveries).toEqual([expect.objectContaining({ channel: 'sms', provider: 'sns-sms:eu-north-1', status: 'sent', attempts: 3 })]);
    expect(sns.received.map((p) => [p.signedFor, p.status])).toEqual([
      ['eu-west-1/sns', 500],
      ['eu-west-1/sns', 500],
      ['eu-north-1/sns', 200],
    ]);
    const later = await pushEvent(system, { wishedChannel: 'sms', mobilePhone: '+46701230002', ctx: { n: 2 } });
    const sent = await waitForStatus(system, later, ['sent', 'deliveryFailed']);
    expect(sent.deliveries).toEqual([expect.objectContaining({ provider: 'sns-sms:eu-north-1', status: 'sent', attempts: 1 })]);
    expect(sns.received.at(-1)).toMatchObject({ phoneNumber: '+46701230002', message: 'Note 2', signedFor: 'eu-north-1/sns' });
  });
});

describe('shared per-provider rate limits', () => {
  const RATE = 20;
  const MESSAGES = 100;
  const vapid = { ...generateVAPIDKeys(), subject: 'mailto:ops@example.com' };
  let system: System;
  let receiver: WebPushReceiver;
  /** When each message reached the sink's DATA stage. */
  const arrivals = new Map<string, number>();
  const stamp: SmtpReplyPolicy = (stage, recipient) => {
    if (stage === 'data') arrivals.set(recipient, Date.now());
    return undefined;
  };

  beforeAll(async () => {
    receiver = await startWebPushReceiver({ vapidPublicKey: vapid.publicKey });
    system = await startSystem({
      smtpReply: stamp,
      workers: 2,
      env: {
        EMAIL_RATE_PER_SECOND: String(RATE),
        PUSH_RATE_PER_SECOND: '50',
        VAPID_PUBLIC_KEY: vapid.publicKey,
        VAPID_PRIVATE_KEY: vapid.privateKey,
        VAPID_SUBJECT: vapid.subject,
        NODE_EXTRA_CA_CERTS: receiver.caFile,
        // The test push service listens on loopback, which the outbound policy refuses unless exempted.
        OUTBOUND_ALLOW_PRIVATE: '127.0.0.1',
        DELIVERY_ATTEMPTS: '3',
      },
    });
    await publishTemplates(system, [
      { channel: 'email', content: { subject: 'Note {{ ctx.n }}', mjml: MJML } },
      { channel: 'push', content: { title: 'Note {{ ctx.n }}', body: 'Body {{ ctx.n }}' } },
    ]);
  });
  afterAll(async () => {
    await system?.stop();
    await receiver?.close();
  });

  /** Job hash field BullMQ sets to the name of the worker process that took the job. */
  const processedBy = async (lane: string, ids: string[]) => {
    const redis = new Redis(REDIS_URL);
    try {
      return await Promise.all(ids.map((id) => redis.hget(`${system.queuePrefix}:events-${lane}:ev-${id}`, 'pb')));
    } finally {
      redis.disconnect();
    }
  };
  const sendBatch = async (prefix: string, count: number) => {
    const events = Array.from({ length: count }, (_, n) => ({ type: 'NOTE', email: `${prefix}${n}@example.com`, ctx: { n } }));
    const accepted = await system.api('POST', '/v1/events/batch', { events }, system.ingestKey);
    expect(accepted.status).toBe(202);
    expect(accepted.body.accepted).toBe(count);
    const ids: string[] = accepted.body.results.map((r: { id: string }) => r.id);
    for (const id of ids) expect((await waitForStatus(system, id, ['sent', 'deliveryFailed'], 30_000)).status).toBe('sent');
    return ids;
  };
  const arrivalsOf = (prefix: string) =>
    [...arrivals.entries()].filter(([to]) => to.startsWith(prefix)).map(([, at]) => at).sort((a, b) => a - b);

  test(`EMAIL_RATE_PER_SECOND=${RATE} is never exceeded across two worker processes, and is approached`, async () => {
    // Warm both processes up first (first connections, first renders): what is measured is
    // the limiter's pace, not a cold process's start-up.
    const warmedUp = new Set<string | null>();
    for (let round = 0; round < 3 && warmedUp.size < 2; round++) {
      for (const name of await processedBy('batch', await sendBatch(`warm${round}-`, 20))) warmedUp.add(name);
    }
    expect(warmedUp.size).toBe(2);

    const ids = await sendBatch('rate', MESSAGES);
    const times = arrivalsOf('rate');
    expect(times).toHaveLength(MESSAGES);
    // First to last arrival, and the least-squares slope of arrival count over time (which one
    // late or early message at either end does not swing).
    const rate = ((MESSAGES - 1) / (times.at(-1)! - times[0]!)) * 1000;
    const fitted = slopePerSecond(times);
    const gaps = times.slice(1).map((t, i) => t - times[i]!).sort((a, b) => a - b);
    const medianGap = gaps[Math.floor(gaps.length / 2)]!;
    const perWorker: Record<string, number> = {};
    for (const name of await processedBy('batch', ids)) perWorker[String(name)] = (perWorker[String(name)] ?? 0) + 1;
    // The figures the issue asks for, printed with the test run.
    process.stdout.write(
      `rate limit: configured ${RATE}/s, measured ${rate.toFixed(2)}/s first to last (fitted ${fitted.toFixed(2)}/s) over ${MESSAGES} messages at the sink; ` +
        `median gap ${medianGap} ms; jobs per worker process ${JSON.stringify(perWorker)}\n`,
    );
    // The limit is a ceiling: never above it. Below it a held job comes back through BullMQ's
    // delayed set, whose timing costs some slots (measured 16.8–19.6/s at 20/s; see README).
    expect(fitted).toBeLessThanOrEqual(RATE * 1.1);
    expect(rate).toBeLessThanOrEqual(RATE * 1.15);
    expect(fitted).toBeGreaterThanOrEqual(RATE * 0.75);
    expect(rate).toBeGreaterThanOrEqual(RATE * 0.75);
    // Evenly spaced (burst 1), not bunched at the start of each second.
    expect(medianGap).toBeGreaterThanOrEqual((1000 / RATE) * 0.9);
    expect(medianGap).toBeLessThanOrEqual((1000 / RATE) * 1.35);
    // Both worker processes sent: one limit shared through Redis, not one per process.
    expect(Object.keys(perWorker).filter((name) => name !== 'null')).toHaveLength(2);
  });

  test("a push service's 429 slows that provider only: email keeps its pace", async () => {
    const times: number[] = [];
    const throttled = receiver.subscribe({
      reply: (push: ReceivedPush): WebPushReply => {
        times.push(Date.now());
        return times.length === 1 ? { status: 429, headers: { 'Retry-After': '3' } } : { status: 201, headers: { Location: `${receiver.origin}/m/${push.subscriptionId}` } };
      },
    });
    let healthyAt = 0;
    const healthy = receiver.subscribe({
      reply: (): WebPushReply => {
        healthyAt = Date.now();
        return { status: 201 };
      },
    });
    const webPush = (s: { endpoint: string; keys: { p256dh: string; auth: string } }) => ({ wishedChannel: 'push', push: { webPush: { endpoint: s.endpoint, keys: s.keys } } });

    const first = await pushEvent(system, { ...webPush(throttled), ctx: { n: 'throttled' } });
    await waitForEvent(system, first, (e) => e.status === 'pending' && e.deliveries.length === 1, 'pending after the 429');
    const throttledAt = times[0]!;

    // While web-push waits out the Retry-After, other pushes through it wait too, but email does not.
    const startedAt = Date.now();
    const second = await pushEvent(system, { ...webPush(healthy), ctx: { n: 'healthy' } });
    const emails = await Promise.all(Array.from({ length: 10 }, (_, n) => pushEvent(system, { email: `during${n}@example.com`, ctx: { n } })));
    for (const id of emails) expect((await waitForStatus(system, id, ['sent', 'deliveryFailed'])).status).toBe('sent');
    const lastEmailAt = Math.max(...emails.map((_, n) => arrivals.get(`during${n}@example.com`)!));
    // 10 emails at 20/s: about half a second, nowhere near the push service's 3 s.
    expect(lastEmailAt - startedAt).toBeLessThan(2500);

    const healthyDone = await waitForStatus(system, second, ['sent', 'deliveryFailed']);
    expect(healthyDone.status).toBe('sent');
    const firstDone = await waitForStatus(system, first, ['sent', 'deliveryFailed']);
    expect(firstDone.status).toBe('sent');
    expect(firstDone.deliveries[0]).toMatchObject({ provider: 'web-push', attempts: 2 });
    expect(times[1]! - throttledAt).toBeGreaterThanOrEqual(2950);
    // The healthy subscription's push was held back by the same provider's Retry-After.
    expect(healthyAt - throttledAt).toBeGreaterThanOrEqual(2900);
    expect(lastEmailAt).toBeLessThan(healthyAt);
  });
});
