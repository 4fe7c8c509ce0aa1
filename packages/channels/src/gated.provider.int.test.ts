/**
 * The gate in front of real providers, shared through the real Redis: holds per push
 * service origin, pacing that answers `held` at once, the circuit breaker against an SMTP
 * relay that refuses connections and then comes back, and the explicit send timeout.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { generateVAPIDKeys } from 'web-push';
import { createEmailProvider, createPushProvider } from './create-providers';
import { createRedisGateStore } from './provider-gate';
import type { BreakerEvent } from './gated.provider';
import type { EmailMessage, Provider, PushMessage } from './provider';
import { createTestCertificates, startSmtpSink, startWebPushReceiver, type SmtpSink, type TestSubscription, type WebPushReceiver } from './testing';

const REDIS_URL = 'redis://127.0.0.1:6379';

const mail = (n: number | string): EmailMessage => ({
  from: 'shop@example.test',
  to: `ada+${n}@example.test`,
  subject: `message ${n}`,
  html: `<p>${n}</p>`,
  text: String(n),
});

describe('provider gate against real peers and Redis', () => {
  const prefix = `mc-test:${randomUUID()}:`;
  const vapid = { ...generateVAPIDKeys(), subject: 'mailto:ops@shop.example.test' };
  let redis: Redis;
  const closers: (() => Promise<unknown> | void)[] = [];

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  describe('web push holds per push service origin', () => {
    let a: WebPushReceiver;
    let b: WebPushReceiver;
    let push: Provider<PushMessage>;
    beforeAll(async () => {
      a = await startWebPushReceiver({ vapidPublicKey: vapid.publicKey });
      b = await startWebPushReceiver({ vapidPublicKey: vapid.publicKey });
      // The receivers listen on loopback: exempted from the outbound policy by configuration.
      push = createPushProvider({
        webPush: { vapid, ca: [a.ca, b.ca], outbound: { allowPrivate: ['127.0.0.1'] } },
        gate: { redis, prefix: `${prefix}push:` },
      })!;
      closers.push(() => a.close(), () => b.close(), () => push.close());
    });
    const to = (s: TestSubscription): PushMessage => ({ target: { kind: 'web-push', subscription: { endpoint: s.endpoint, keys: s.keys } }, title: 't', body: 'b' });

    it("a 429 with Retry-After from origin A holds A (every subscription on it), not origin B", async () => {
      let calls = 0;
      const throttled = a.subscribe({ reply: () => (calls++, { status: 429, headers: { 'Retry-After': '3600' } }) });
      const elsewhereOnA = a.subscribe();
      const onB = b.subscribe();

      expect(await push.send(to(throttled))).toMatchObject({ kind: 'rate-limited', provider: 'web-push', retryAfterMs: 3_600_000 });
      const started = performance.now();
      const held = await push.send(to(elsewhereOnA));
      expect(performance.now() - started).toBeLessThan(200);
      expect(held).toMatchObject({ kind: 'held', provider: 'web-push', reason: 'hold', error: expect.stringContaining(a.origin) });
      expect(held.kind === 'held' && held.retryAfterMs).toBeGreaterThan(3_590_000);
      expect(calls).toBe(1);
      expect(a.received.filter((p) => p.subscriptionId === elsewhereOnA.id)).toHaveLength(0);

      expect(await push.send(to(onB))).toMatchObject({ kind: 'sent', provider: 'web-push' });
      expect(b.received.map((p) => p.subscriptionId)).toEqual([onB.id]);
    });

    it('gives up on a push service that does not answer within the send timeout', async () => {
      const certs = createTestCertificates();
      // Accepts the request and never answers: a hung or hostile push service.
      const silent: Server = createServer({ key: certs.key, cert: certs.cert }, () => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const slow = createPushProvider({ webPush: { vapid, ca: certs.ca, outbound: { allowPrivate: ['127.0.0.1'] } }, sendTimeoutMs: 300, gate: { redis, prefix: `${prefix}slow:` } })!;
      try {
        const s = a.subscribe();
        const endpoint = `https://127.0.0.1:${(silent.address() as AddressInfo).port}/push/1`;
        const started = performance.now();
        const outcome = await slow.send({ ...to(s), target: { kind: 'web-push', subscription: { endpoint, keys: s.keys } } });
        const took = performance.now() - started;
        expect(outcome).toMatchObject({ kind: 'transient', error: 'no answer within the send timeout (300 ms)' });
        expect(took).toBeGreaterThanOrEqual(290);
        expect(took).toBeLessThan(1500);
      } finally {
        await slow.close();
        silent.closeAllConnections();
        await new Promise((resolve) => silent.close(resolve));
        certs.cleanup();
      }
    });
  });

  it('a paced provider answers held at once instead of sleeping, keeping no reservation', async () => {
    const sink = await startSmtpSink();
    closers.push(() => sink.close());
    const email = createEmailProvider({ smtpUrl: sink.url, gate: { redis, prefix: `${prefix}pace:`, perSecond: 1 } });
    closers.push(() => email.close());
    const first = performance.now();
    expect(await email.send(mail('first'))).toMatchObject({ kind: 'sent' });
    const started = performance.now();
    const held = await email.send(mail('second'));
    const took = performance.now() - started;
    expect(held).toMatchObject({ kind: 'held', reason: 'pace' });
    // The wait is what is left of the second since the first slot, less half the in-process
    // await (50 ms) so the job comes back just before its slot; the answer comes in a Redis
    // round trip. The first slot was taken somewhere inside the first send, so the clocks only
    // bound it (a busy machine stretches that window); 2 ms cover Redis's rounding.
    const retryAfterMs = held.kind === 'held' ? held.retryAfterMs : -1;
    expect(retryAfterMs).toBeLessThanOrEqual(1000 - 50 + 2);
    expect(retryAfterMs).toBeGreaterThanOrEqual(1000 - (performance.now() - first) - 50 - 2);
    expect(took).toBeLessThan(200);
    expect(sink.messages).toHaveLength(1);
  });

  it('breaker: opens after N refused connections, one probe per interval across two instances, closes when the relay is back', async () => {
    const PROBE_MS = 400;
    let sink: SmtpSink = await startSmtpSink();
    const { port, url } = sink;
    await sink.close(); // the relay is down: connections are refused
    const events: (BreakerEvent & { instance: string })[] = [];
    const gate = (instance: string) => ({
      redis,
      prefix: `${prefix}breaker:`,
      threshold: 3,
      probeIntervalMs: PROBE_MS,
      onBreaker: (e: BreakerEvent) => events.push({ ...e, instance }),
    });
    const one = createEmailProvider({ smtpUrl: url, gate: gate('one') });
    const two = createEmailProvider({ smtpUrl: url, gate: gate('two') });
    closers.push(() => one.close(), () => two.close(), () => sink.close());
    const name = `smtp:127.0.0.1:${port}`;
    const observer = createRedisGateStore(redis, { name, prefix: `${prefix}breaker:`, threshold: 3, probeIntervalMs: PROBE_MS });
    const stateBecomes = async (state: string) => {
      const deadline = Date.now() + 5000;
      while ((await observer.state(name)) !== state) {
        if (Date.now() > deadline) throw new Error(`breaker never became ${state}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };

    for (let n = 1; n <= 3; n++) {
      expect(await one.send(mail(n))).toMatchObject({ kind: 'transient', provider: name, error: expect.stringMatching(/ECONNREFUSED/) });
    }
    // Open for both instances: held at once, without touching the network.
    const started = performance.now();
    const held = await two.send(mail(4));
    expect(performance.now() - started).toBeLessThan(200);
    expect(held).toMatchObject({ kind: 'held', provider: name, reason: 'open' });
    expect(held.kind === 'held' && held.retryAfterMs).toBeLessThanOrEqual(PROBE_MS + PROBE_MS / 2);

    // Half-open: of ten sends from the two instances at once, exactly one probes (and fails).
    await stateBecomes('half-open');
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? one : two).send(mail(`p${i}`))));
    expect(burst.filter((o) => o.kind === 'transient')).toHaveLength(1);
    expect(burst.filter((o) => o.kind === 'held')).toHaveLength(9);
    expect(await observer.state(name)).toBe('open');

    // The relay comes back on the same port; the next probe closes the breaker.
    sink = await startSmtpSink({ port });
    await stateBecomes('half-open');
    expect(await two.send(mail('probe'))).toMatchObject({ kind: 'sent', provider: name });
    expect(await observer.state(name)).toBe('closed');
    expect(await one.send(mail('after'))).toMatchObject({ kind: 'sent', provider: name });
    expect(sink.messages.map((m) => m.parsed.subject)).toEqual(['message probe', 'message after']);

    // One event per change, from the instance that made it (plus "one" seeing the close).
    expect(events.filter((e) => e.change).map((e) => [e.change, e.state])).toEqual([
      ['opened', 'open'],
      ['probing', 'half-open'],
      ['reopened', 'open'],
      ['probing', 'half-open'],
      ['closed', 'closed'],
    ]);
    expect(events.filter((e) => e.change === 'opened')[0]).toMatchObject({ instance: 'one', breaker: name, error: expect.stringMatching(/ECONNREFUSED/) });
  });
});
