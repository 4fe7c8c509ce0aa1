/**
 * SMS and push end to end, against real protocol peers run by the test: SMS and mobile push
 * through the AWS SDK to a local endpoint speaking the SNS query protocol, browser push through
 * `web-push` to a local HTTPS push service that checks the VAPID JWT and decrypts the payload
 * (the worker trusts its CA through NODE_EXTRA_CA_CERTS). Every classified failure of those
 * providers ends in the right status and suppression state; the suppression admin API.
 */
import { generateVAPIDKeys } from 'web-push';
import {
  startSnsEndpoint,
  startWebPushReceiver,
  type ReceivedPush,
  type SnsEndpoint,
  type SnsReply,
  type TestSubscription,
  type WebPushReceiver,
  type WebPushReply,
} from '../../packages/channels/src/testing';
import { startSystem, waitForEvent, waitForStatus, type System } from '../helpers/system';

jest.setTimeout(90_000);

const vapid = { ...generateVAPIDKeys(), subject: 'mailto:ops@shop.example.test' };
let system: System;
let sns: SnsEndpoint;
let receiver: WebPushReceiver;
/** Scripted SNS answers per phone number or endpoint ARN, used up in order; then success. */
const snsScript = new Map<string, SnsReply[]>();
/** When the last publish to each phone number or endpoint ARN arrived. */
const snsArrivals = new Map<string, number>();

const MJML = '<mjml><mj-body><mj-section><mj-column><mj-text>Hello {{ ctx.firstName }}</mj-text></mj-column></mj-section></mj-body></mjml>';

beforeAll(async () => {
  sns = await startSnsEndpoint({
    reply: (p) => {
      const address = p.phoneNumber ?? p.targetArn ?? '';
      snsArrivals.set(address, Date.now());
      return snsScript.get(address)?.shift();
    },
  });
  receiver = await startWebPushReceiver({ vapidPublicKey: vapid.publicKey });
  system = await startSystem({
    env: {
      AWS_REGION: 'eu-west-1',
      SNS_ENDPOINT: sns.url,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLETEST',
      AWS_SECRET_ACCESS_KEY: 'test-secret-key',
      AWS_EC2_METADATA_DISABLED: 'true',
      SNS_SMS_SENDER_ID: 'MsgCenter',
      SNS_SMS_TYPE: 'Promotional',
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      VAPID_SUBJECT: vapid.subject,
      NODE_EXTRA_CA_CERTS: receiver.caFile,
      // The test push service listens on loopback, which the outbound policy refuses unless exempted.
      OUTBOUND_ALLOW_PRIVATE: '127.0.0.1',
      DELIVERY_ATTEMPTS: '4',
      // Per channel: SMS gets two of the four attempts, push retries within 5 s of acceptance.
      SMS_DELIVERY_ATTEMPTS: '2',
      PUSH_RETRY_WINDOW_SECONDS: '5',
      // These tests script failures per address on one SNS endpoint and one push service; in
      // a row they would open that provider's circuit breaker, which is not what they test.
      FAILOVER_THRESHOLD: '20',
    },
  });
  expect((await system.api('POST', '/v1/event-types', { key: 'PARCEL', label: 'Parcel shipped' })).status).toBe(201);
  const templates = [
    { channel: 'sms', content: { text: 'Hi {{ ctx.firstName }}, parcel {{ ctx.orderId }} ships today' } },
    {
      channel: 'push',
      content: {
        title: 'Order {{ ctx.orderId }}',
        body: 'Hi {{ ctx.firstName }}, your parcel is on its way',
        url: 'https://shop.example.test/orders/{{ ctx.orderId }}',
        data: { orderId: '{{ ctx.orderId }}' },
      },
    },
    { channel: 'email', content: { subject: 'Parcel {{ ctx.orderId }}', mjml: MJML } },
  ];
  for (const template of templates) {
    const created = await system.api('POST', '/v1/templates', { eventType: 'PARCEL', name: template.channel, ...template });
    expect(created.status).toBe(201);
    expect((await system.api('POST', `/v1/templates/${created.body.id}/publish`)).status).toBe(201);
  }
});

afterAll(async () => {
  await system?.stop();
  await sns?.close();
  await receiver?.close();
});

const ctx = { firstName: 'Ann', orderId: 'A-77' };
const push = async (body: Record<string, unknown>) => {
  const accepted = await system.api('POST', '/v1/events', { type: 'PARCEL', ctx, ...body }, system.ingestKey);
  expect(accepted.status).toBe(202);
  return accepted.body.id as string;
};
const webPushTo = (subscription: TestSubscription) => ({
  wishedChannel: 'push',
  push: { webPush: { endpoint: subscription.endpoint, keys: subscription.keys } },
});
const suppressions = async (channel: string) => (await system.api('GET', `/v1/suppressions?channel=${channel}`)).body.items as any[];
const publishesTo = (address: string) => sns.received.filter((p) => p.phoneNumber === address || p.targetArn === address);
const pushesTo = (subscription: TestSubscription) => receiver.received.filter((p) => p.subscriptionId === subscription.id);

describe('SMS through SNS', () => {
  test.each([
    ['wishedChannel "sms"', 'sms', '+46 70-123 45 01', '+46701234501'],
    ['Adobe wishedChannel 1', 1, '+46701234502', '+46701234502'],
  ])('%s: Publish with PhoneNumber, Message and the SMS attributes; the event shows the provider and message id', async (_label, wishedChannel, given, e164) => {
    snsScript.set(e164, [{ messageId: `sms-msg-${e164}` }]);
    const id = await push({ wishedChannel, mobilePhone: given, email: 'not-used@example.com' });
    const done = await waitForStatus(system, id, ['sent', 'deliveryFailed', 'targetingFailed']);
    expect(done).toMatchObject({ status: 'sent', channel: 'sms', templateVersion: 1 });
    expect(done.deliveries).toEqual([
      expect.objectContaining({ channel: 'sms', provider: 'sns-sms', status: 'sent', attempts: 1, providerMessageId: `sms-msg-${e164}` }),
    ]);
    const [publish] = publishesTo(e164);
    expect(publish).toMatchObject({
      action: 'Publish',
      phoneNumber: e164,
      message: 'Hi Ann, parcel A-77 ships today',
      signedFor: 'eu-west-1/sns',
      attributes: {
        'AWS.SNS.SMS.SMSType': { dataType: 'String', stringValue: 'Promotional' },
        'AWS.SNS.SMS.SenderID': { dataType: 'String', stringValue: 'MsgCenter' },
      },
    });
    expect(publish!.targetArn).toBeUndefined();
  });

  test('Throttling is retried after a delay (pending with the next attempt time), then sent', async () => {
    const phone = '+46701234510';
    snsScript.set(phone, [{ code: 'Throttling', message: 'Rate exceeded' }]);
    const id = await push({ wishedChannel: 'sms', mobilePhone: phone });
    const waiting = await waitForEvent(system, id, (e) => e.status === 'pending' && e.deliveries.length === 1, 'pending after a throttled attempt');
    expect(waiting.reason).toMatch(/Attempt 1 of 2 failed.*Throttling/);
    expect(Date.parse(waiting.nextAttemptAt)).toBeGreaterThan(Date.now() - 1000);
    expect(waiting.deliveries[0]).toMatchObject({ provider: 'sns-sms', status: 'pending', attempts: 1, error: expect.stringMatching(/Throttling/) });
    const done = await waitForStatus(system, id, ['sent', 'deliveryFailed']);
    expect(done.status).toBe('sent');
    expect(done.deliveries[0]).toMatchObject({ provider: 'sns-sms', status: 'sent', attempts: 2 });
    expect(publishesTo(phone).map((p) => p.status)).toEqual([400, 200]);
  });

  test('SMS_DELIVERY_ATTEMPTS bounds the retries of SMS below DELIVERY_ATTEMPTS', async () => {
    const phone = '+46701234512';
    const down = { code: 'InternalError', type: 'Receiver' as const, message: 'Internal failure' };
    snsScript.set(phone, [down, down, down, down]);
    const id = await push({ wishedChannel: 'sms', mobilePhone: phone });
    const done = await waitForStatus(system, id, ['sent', 'deliveryFailed']);
    expect(done.status).toBe('deliveryFailed');
    expect(done.reason).toMatch(/^Gave up after 2 attempt\(s\); last error from sns-sms: InternalError/);
    expect(done.deliveries[0]).toMatchObject({ status: 'failed', attempts: 2 });
    expect(publishesTo(phone).map((p) => p.status)).toEqual([500, 500]);
  });

  test('InvalidParameter ends deliveryFailed at once, without retry or suppression', async () => {
    const phone = '+46701234511';
    snsScript.set(phone, [{ code: 'InvalidParameter', message: 'Invalid parameter: PhoneNumber Reason: not a valid number' }]);
    const id = await push({ wishedChannel: 'sms', mobilePhone: phone });
    const done = await waitForStatus(system, id, ['sent', 'deliveryFailed']);
    expect(done.status).toBe('deliveryFailed');
    expect(done.reason).toMatch(/Refused by sns-sms: InvalidParameter/);
    expect(done.deliveries[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(publishesTo(phone)).toHaveLength(1);
    expect((await suppressions('sms')).map((s) => s.address)).not.toContain(phone);
  });
});

describe('mobile push through SNS platform endpoints', () => {
  test.each([
    [41, 'arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/shop-ios/0001'],
    [42, 'arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/shop-android/0002'],
  ])('Adobe wishedChannel %s publishes to the TargetArn with a payload per platform', async (wishedChannel, arn) => {
    snsScript.set(arn, [{ messageId: `push-msg-${wishedChannel}` }]);
    const id = await push({ wishedChannel, push: { snsEndpointArn: arn } });
    const done = await waitForStatus(system, id, ['sent', 'deliveryFailed', 'targetingFailed']);
    expect(done).toMatchObject({ status: 'sent', channel: 'push' });
    expect(done.deliveries).toEqual([
      expect.objectContaining({ channel: 'push', provider: 'sns-push', status: 'sent', attempts: 1, providerMessageId: `push-msg-${wishedChannel}` }),
    ]);
    const [publish] = publishesTo(arn);
    expect(publish).toMatchObject({ targetArn: arn, messageStructure: 'json' });
    expect(publish!.phoneNumber).toBeUndefined();
    const message = JSON.parse(publish!.message);
    expect(message.default).toBe('Hi Ann, your parcel is on its way');
    expect(JSON.parse(message.APNS)).toMatchObject({
      aps: { alert: { title: 'Order A-77', body: 'Hi Ann, your parcel is on its way' } },
      url: 'https://shop.example.test/orders/A-77',
      data: { orderId: 'A-77' },
    });
    expect(JSON.parse(message.GCM).fcmV1Message.message).toMatchObject({
      notification: { title: 'Order A-77', body: 'Hi Ann, your parcel is on its way' },
      data: { orderId: 'A-77', url: 'https://shop.example.test/orders/A-77' },
    });
  });

  test('EndpointDisabled suppresses the endpoint; the next event to it ends ignored without a publish', async () => {
    const arn = 'arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/shop-android/dead';
    snsScript.set(arn, [{ code: 'EndpointDisabled', message: 'Endpoint is disabled' }]);
    const id = await push({ wishedChannel: 42, push: { snsEndpointArn: arn } });
    const done = await waitForStatus(system, id, ['sent', 'deliveryFailed']);
    expect(done.status).toBe('deliveryFailed');
    expect(done.reason).toMatch(/suppressed.*EndpointDisabled/);
    expect(done.deliveries[0]).toMatchObject({ provider: 'sns-push', status: 'failed', attempts: 1 });
    expect(await suppressions('push')).toEqual(
      expect.arrayContaining([expect.objectContaining({ channel: 'push', address: arn, source: 'sns-push', reason: expect.stringMatching(/EndpointDisabled/) })]),
    );

    const again = await push({ wishedChannel: 41, push: { snsEndpointArn: arn } });
    const ignored = await waitForStatus(system, again, ['ignored', 'sent', 'deliveryFailed']);
    expect(ignored.status).toBe('ignored');
    expect(ignored.reason).toMatch(/suppressed.*EndpointDisabled/);
    expect(ignored.deliveries).toEqual([]);
    expect(publishesTo(arn)).toHaveLength(1);
  });

  test('Throttling on mobile push is retried, then sent', async () => {
    const arn = 'arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/shop-ios/busy';
    snsScript.set(arn, [{ code: 'Throttling', message: 'Rate exceeded' }]);
    const id = await push({ wishedChannel: 41, push: { snsEndpointArn: arn } });
    const done = await waitForStatus(system, id, ['sent', 'deliveryFailed']);
    expect(done.status).toBe('sent');
    expect(done.deliveries[0]).toMatchObject({ provider: 'sns-push', attempts: 2 });
    expect(publishesTo(arn).map((p) => p.status)).toEqual([400, 200]);
  });
});

describe('browser push through web-push', () => {
  test('the push service verifies the VAPID JWT and the browser decrypts title, body and url', async () => {
    const subscription = receiver.subscribe();
    const id = await push(webPushTo(subscription));
    const done = await waitForStatus(system, id, ['sent', 'deliveryFailed', 'targetingFailed']);
    expect(done).toMatchObject({ status: 'sent', channel: 'push' });
    expect(done.deliveries).toEqual([
      expect.objectContaining({
        channel: 'push',
        provider: 'web-push',
        status: 'sent',
        attempts: 1,
        providerMessageId: expect.stringMatching(`^${receiver.origin}/message/`),
      }),
    ]);
    const [received] = pushesTo(subscription);
    expect(JSON.parse(received!.payload)).toEqual({
      title: 'Order A-77',
      body: 'Hi Ann, your parcel is on its way',
      url: 'https://shop.example.test/orders/A-77',
      data: { orderId: 'A-77' },
    });
    expect(received).toMatchObject({ ttl: 86_400, urgency: 'normal', status: 201 });
    expect(received!.vapid).toMatchObject({ publicKey: vapid.publicKey, audience: receiver.origin, subject: vapid.subject });
    expect(received!.vapid.expiresAt * 1000).toBeGreaterThan(Date.now());
  });

  test.each([
    ['410 Gone (the browser unsubscribed)', (s: TestSubscription) => receiver.unsubscribe(s.id), undefined, /410/],
    ['404 Not Found (unknown subscription)', () => undefined, { status: 404, body: 'no such subscription' }, /404/],
  ])('%s suppresses the subscription; the next event to it ends ignored', async (_label, prepare, reply, code) => {
    const subscription = receiver.subscribe(reply ? { reply } : {});
    prepare(subscription);
    const id = await push(webPushTo(subscription));
    const done = await waitForStatus(system, id, ['sent', 'deliveryFailed']);
    expect(done.status).toBe('deliveryFailed');
    expect(done.reason).toMatch(/invalid and is now suppressed/);
    expect(done.reason).toMatch(code);
    expect(done.deliveries[0]).toMatchObject({ provider: 'web-push', status: 'failed', attempts: 1 });
    const entry = (await suppressions('push')).find((s) => s.address === subscription.endpoint);
    expect(entry).toMatchObject({ channel: 'push', source: 'web-push', reason: expect.stringMatching(code) });

    const requestsBefore = receiver.received.length + receiver.rejected.length;
    const again = await push(webPushTo(subscription));
    const ignored = await waitForStatus(system, again, ['ignored', 'sent', 'deliveryFailed']);
    expect(ignored.status).toBe('ignored');
    expect(ignored.reason).toMatch(/suppressed \(quarantine\)/);
    expect(ignored.reason).toMatch(code);
    expect(receiver.received.length + receiver.rejected.length).toBe(requestsBefore);
  });

  test('413 Payload Too Large ends deliveryFailed at once: no retry, no suppression', async () => {
    const subscription = receiver.subscribe({ reply: { status: 413, body: 'payload too large' } });
    const id = await push(webPushTo(subscription));
    const done = await waitForStatus(system, id, ['sent', 'deliveryFailed']);
    expect(done.status).toBe('deliveryFailed');
    expect(done.reason).toMatch(/Refused by web-push: push service answered 413/);
    expect(done.deliveries[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect((await suppressions('push')).map((s) => s.address)).not.toContain(subscription.endpoint);
    // Longer than any retry delay this system would choose: still one request.
    await new Promise((r) => setTimeout(r, 600));
    expect(pushesTo(subscription)).toHaveLength(1);
  });

  /** Answers each push with the next scripted reply (then 201), noting when it came. */
  const scripted = (replies: WebPushReply[], times: number[]) => (push: ReceivedPush): WebPushReply => {
    times.push(Date.now());
    return replies.shift() ?? { status: 201, headers: { Location: `${receiver.origin}/message/${push.subscriptionId}-${times.length}` } };
  };

  test('429 with Retry-After is retried after that delay, the wait visible on the event; web push alone is held meanwhile', async () => {
    const times: number[] = [];
    const subscription = receiver.subscribe({ reply: scripted([{ status: 429, headers: { 'Retry-After': '2' } }], times) });
    const id = await push(webPushTo(subscription));
    const waiting = await waitForEvent(system, id, (e) => e.status === 'pending' && e.deliveries.length === 1, 'pending after a 429');
    // Meanwhile (no PUSH_RATE_PER_SECOND configured): another browser push waits out the same
    // push service's Retry-After; an SMS does not.
    const otherTimes: number[] = [];
    const other = receiver.subscribe({ reply: scripted([], otherTimes) });
    const otherId = await push(webPushTo(other));
    const smsId = await push({ wishedChannel: 'sms', mobilePhone: '+46701234513' });
    expect((await waitForStatus(system, smsId, ['sent', 'deliveryFailed'])).status).toBe('sent');
    expect((await waitForStatus(system, otherId, ['sent', 'deliveryFailed'])).status).toBe('sent');
    expect(otherTimes[0]! - times[0]!).toBeGreaterThanOrEqual(1900);
    expect(snsArrivals.get('+46701234513')!).toBeLessThan(otherTimes[0]!);

    expect(waiting.reason).toMatch(/Attempt 1 of 4 failed.*429/);
    expect(waiting.deliveries[0]).toMatchObject({ provider: 'web-push', status: 'pending', attempts: 1 });
    // The next attempt time is the Retry-After (2 s) from the failed attempt.
    expect(Date.parse(waiting.nextAttemptAt) - times[0]!).toBeGreaterThanOrEqual(1900);
    expect(Date.parse(waiting.nextAttemptAt) - times[0]!).toBeLessThan(4000);

    const done = await waitForStatus(system, id, ['sent', 'deliveryFailed']);
    expect(done.status).toBe('sent');
    expect(done.deliveries[0]).toMatchObject({ provider: 'web-push', status: 'sent', attempts: 2 });
    expect(times).toHaveLength(2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1950);
    expect(pushesTo(subscription).map((p) => p.status)).toEqual([429, 201]);
  });

  test('a retry that would fall after PUSH_RETRY_WINDOW_SECONDS is not scheduled: deliveryFailed at once', async () => {
    const subscription = receiver.subscribe({ reply: { status: 503, headers: { 'Retry-After': '30' }, body: 'maintenance' } });
    const id = await push(webPushTo(subscription));
    const done = await waitForStatus(system, id, ['sent', 'deliveryFailed']);
    expect(done.status).toBe('deliveryFailed');
    expect(done.reason).toMatch(/^Gave up after 1 attempt\(s\): the next one \(in 30 s\) would fall after the 5 s retry window; last error from web-push: push service answered 503/);
    expect(done.deliveries[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect((await suppressions('push')).map((s) => s.address)).not.toContain(subscription.endpoint);
  });

  test('5xx is retried with backoff, then sent', async () => {
    const times: number[] = [];
    const subscription = receiver.subscribe({ reply: scripted([{ status: 503 }, { status: 500 }], times) });
    const id = await push(webPushTo(subscription));
    const done = await waitForStatus(system, id, ['sent', 'deliveryFailed']);
    expect(done.status).toBe('sent');
    expect(done.deliveries[0]).toMatchObject({ provider: 'web-push', status: 'sent', attempts: 3 });
    expect(pushesTo(subscription).map((p) => p.status)).toEqual([503, 500, 201]);
    // RETRY_BASE_DELAY_MS=200: the first retry waits 100–200 ms, the second 200–400 ms.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(90);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(190);
  });
});

describe('the suppression admin API', () => {
  test('add, list and remove entries; an event to a suppressed address ends ignored with the reason', async () => {
    const added = await system.api('POST', '/v1/suppressions', { address: 'Blocked@Example.com', channel: 'email', reason: 'Customer asked to stop' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ id: expect.any(Number), channel: 'email', address: 'blocked@example.com', reason: 'Customer asked to stop', source: 'admin' });
    expect((await system.api('POST', '/v1/suppressions', { address: 'blocked@example.com', channel: 'email', reason: 'again' })).status).toBe(409);
    const invalid = await system.api('POST', '/v1/suppressions', { address: 'x@example.com', channel: 'fax', reason: 'r' });
    expect(invalid.status).toBe(400);
    expect((await system.api('GET', '/v1/suppressions', undefined, system.ingestKey)).status).toBe(403);
    expect((await suppressions('email')).map((s) => s.address)).toContain('blocked@example.com');

    const mailsBefore = system.sink.messages.length;
    const id = await push({ email: 'BLOCKED@example.com' });
    const ignored = await waitForStatus(system, id, ['ignored', 'sent']);
    expect(ignored.status).toBe('ignored');
    expect(ignored.reason).toBe('The address is suppressed (quarantine): Customer asked to stop');

    const sms = await system.api('POST', '/v1/suppressions', { address: '+46701234599', channel: 'sms', reason: 'STOP received' });
    expect(sms.status).toBe(201);
    const smsId = await push({ wishedChannel: 'sms', mobilePhone: '+46 70 123 45 99' });
    expect((await waitForStatus(system, smsId, ['ignored', 'sent'])).reason).toMatch(/STOP received/);
    expect(publishesTo('+46701234599')).toHaveLength(0);

    expect((await system.api('DELETE', `/v1/suppressions/${added.body.id}`)).status).toBe(204);
    expect((await system.api('DELETE', `/v1/suppressions/${added.body.id}`)).status).toBe(404);
    expect((await suppressions('email')).map((s) => s.address)).not.toContain('blocked@example.com');
    const after = await push({ email: 'blocked@example.com' });
    expect((await waitForStatus(system, after, ['ignored', 'sent'])).status).toBe('sent');
    expect(system.sink.messages.slice(mailsBefore).map((m) => m.envelope.rcptTo[0])).toEqual(['blocked@example.com']);
  });
});
