import { generateVAPIDKeys } from 'web-push';
import { createWebPushProvider, MAX_WEB_PUSH_PAYLOAD_BYTES } from './web-push.provider';
import type { Provider, PushMessage } from './provider';
import { startWebPushReceiver, type TestSubscription, type WebPushReceiver } from './testing';

describe('Web Push provider against a local push service', () => {
  const outbound = { allowPrivate: ['127.0.0.1'] };
  const vapid = { ...generateVAPIDKeys(), subject: 'mailto:ops@shop.example.test' };
  let receiver: WebPushReceiver;
  let provider: Provider<PushMessage>;

  beforeAll(async () => {
    receiver = await startWebPushReceiver({ vapidPublicKey: vapid.publicKey });
    // Production trusts the system CA store; here the provider trusts the receiver's throwaway
    // CA, and the outbound policy exempts the receiver's loopback address, as OUTBOUND_ALLOW_PRIVATE would.
    provider = createWebPushProvider({ vapid, ca: receiver.ca, outbound });
  });
  afterAll(async () => {
    await provider.close();
    await receiver.close();
  });

  const push = (subscription: TestSubscription, extra: Partial<PushMessage> = {}): PushMessage => ({
    target: { kind: 'web-push', subscription: { endpoint: subscription.endpoint, keys: subscription.keys } },
    title: 'Order shipped',
    body: 'Your parcel is on its way 📦',
    url: 'https://shop.example.test/orders/42',
    icon: 'https://shop.example.test/icon.png',
    data: { orderId: 42, items: ['book'] },
    ...extra,
  });

  it('delivers an encrypted payload the browser can decrypt, with VAPID, TTL and urgency', async () => {
    const subscription = receiver.subscribe();
    const outcome = await provider.send(push(subscription, { ttlSeconds: 600, urgency: 'high' }));

    expect(outcome).toEqual({ kind: 'sent', provider: 'web-push', providerMessageId: expect.stringMatching(`^${receiver.origin}/message/`) });
    const received = receiver.received.at(-1)!;
    expect(received.subscriptionId).toBe(subscription.id);
    expect(JSON.parse(received.payload)).toEqual({
      title: 'Order shipped',
      body: 'Your parcel is on its way 📦',
      url: 'https://shop.example.test/orders/42',
      icon: 'https://shop.example.test/icon.png',
      data: { orderId: 42, items: ['book'] },
    });
    expect(received.ttl).toBe(600);
    expect(received.urgency).toBe('high');
    expect(received.vapid).toMatchObject({ publicKey: vapid.publicKey, audience: receiver.origin, subject: vapid.subject });
  });

  it('defaults TTL to one day and urgency to normal', async () => {
    const subscription = receiver.subscribe();
    await provider.send(push(subscription));
    expect(receiver.received.at(-1)).toMatchObject({ subscriptionId: subscription.id, ttl: 86_400, urgency: 'normal' });
  });

  it('generates an id when the push service sends no Location', async () => {
    const subscription = receiver.subscribe({ reply: { status: 201 } });
    await expect(provider.send(push(subscription))).resolves.toEqual({
      kind: 'sent',
      provider: 'web-push',
      providerMessageId: expect.stringMatching(/^web-push:[0-9a-f-]{36}$/),
    });
  });

  it.each([
    ['404 (unknown subscription)', { status: 404 }, { kind: 'address-invalid' }],
    ['410 (gone)', { status: 410 }, { kind: 'address-invalid' }],
    ['413 (too large)', { status: 413 }, { kind: 'permanent' }],
    ['429 with Retry-After seconds', { status: 429, headers: { 'Retry-After': '120' } }, { kind: 'rate-limited', retryAfterMs: 120_000 }],
    ['429 without Retry-After', { status: 429 }, { kind: 'rate-limited', retryAfterMs: 1000 }],
    ['500', { status: 500 }, { kind: 'transient' }],
    ['503 with Retry-After', { status: 503, headers: { 'Retry-After': '30' } }, { kind: 'transient', retryAfterMs: 30_000 }],
    ['400', { status: 400 }, { kind: 'permanent' }],
  ])('classifies %s', async (_label, reply, expected) => {
    const subscription = receiver.subscribe({ reply });
    const outcome = await provider.send(push(subscription));
    expect(outcome).toMatchObject({ ...expected, provider: 'web-push', error: expect.any(String) });
    // The push really reached the service and was decrypted before it answered.
    expect(receiver.received.at(-1)?.subscriptionId).toBe(subscription.id);
  });

  it('honours a Retry-After given as an HTTP date', async () => {
    const at = new Date(Date.now() + 90_000).toUTCString();
    const subscription = receiver.subscribe({ reply: { status: 429, headers: { 'Retry-After': at } } });
    const outcome = await provider.send(push(subscription));
    expect(outcome.kind).toBe('rate-limited');
    expect(outcome.kind === 'rate-limited' && outcome.retryAfterMs).toBeGreaterThan(85_000);
  });

  it('reports an unsubscribed browser (410 from the service itself) as address-invalid', async () => {
    const subscription = receiver.subscribe();
    receiver.unsubscribe(subscription.id);
    await expect(provider.send(push(subscription))).resolves.toMatchObject({ kind: 'address-invalid' });
    expect(receiver.rejected.at(-1)).toMatchObject({ status: 410 });
  });

  it('is refused (permanent) when signed with another VAPID key', async () => {
    const other = createWebPushProvider({ vapid: { ...generateVAPIDKeys(), subject: vapid.subject }, ca: receiver.ca, outbound });
    const subscription = receiver.subscribe();
    await expect(other.send(push(subscription))).resolves.toMatchObject({ kind: 'permanent', error: expect.stringContaining('403') });
    await other.close();
  });

  it('refuses oversized payloads and broken subscriptions without calling the service', async () => {
    const subscription = receiver.subscribe();
    const before = receiver.received.length + receiver.rejected.length;
    const big = await provider.send(push(subscription, { body: 'x'.repeat(MAX_WEB_PUSH_PAYLOAD_BYTES) }));
    expect(big).toMatchObject({ kind: 'permanent', error: expect.stringContaining('bytes') });
    const broken = await provider.send(push({ ...subscription, keys: { p256dh: 'AAAA', auth: subscription.keys.auth } }));
    expect(broken).toMatchObject({ kind: 'address-invalid' });
    expect(receiver.received.length + receiver.rejected.length).toBe(before);
  });

  it('is transient when the push service is unreachable or its certificate is not trusted', async () => {
    const subscription = receiver.subscribe();
    const down = await provider.send(push({ ...subscription, endpoint: 'https://127.0.0.1:1/push/x' }));
    // A category, not ECONNREFUSED: the reason goes back to whoever named the endpoint.
    expect(down).toEqual({ kind: 'transient', provider: 'web-push', error: 'the push service could not be reached' });
    // Without the test CA the certificate does not verify, and it is never skipped.
    const untrusting = createWebPushProvider({ vapid, outbound });
    const tls = await untrusting.send(push(subscription));
    expect(tls).toEqual({ kind: 'transient', provider: 'web-push', error: "the push service's TLS certificate could not be verified" });
    await untrusting.close();
  });
});
