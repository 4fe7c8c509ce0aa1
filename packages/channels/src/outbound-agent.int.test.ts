/**
 * The outbound policy against real sockets: listeners on 127.0.0.1 and ::1 count every TCP
 * connection, and each refused endpoint must leave them untouched and end with an outcome
 * that names the policy — never the network error a port scan would read.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request } from 'node:https';
import { createServer, type AddressInfo, type LookupFunction, type Server } from 'node:net';
import { generateVAPIDKeys } from 'web-push';
import type { OutboundPolicy } from '@mc/core';
import { createOutboundAgent, isOutboundPolicyError } from './outbound-agent';
import { createWebPushProvider } from './web-push.provider';
import type { Provider, PushMessage } from './provider';
import { startWebPushReceiver, type WebPushReceiver } from './testing';

interface Listener {
  port: number;
  connections: number;
  close(): Promise<void>;
}

/** A TCP listener that counts connections and drops them at once (a leak fails fast, visibly). */
async function listen(host: string): Promise<Listener | undefined> {
  const listener = { port: 0, connections: 0, close: async () => undefined } as Listener;
  const server: Server = createServer((socket) => {
    listener.connections += 1;
    socket.destroy();
  });
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, host, () => resolve(true));
  });
  if (!ok) return undefined;
  listener.port = (server.address() as AddressInfo).port;
  listener.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return listener;
}

/** A resolver that answers every name with fixed addresses, counting its calls. */
function resolverTo(addresses: LookupAddress[]): LookupFunction & { calls: number } {
  const resolve = ((_hostname, options, callback) => {
    resolve.calls += 1;
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  }) as LookupFunction & { calls: number };
  resolve.calls = 0;
  return resolve;
}


describe('the outbound policy on web-push endpoints', () => {
  const vapid = { ...generateVAPIDKeys(), subject: 'mailto:ops@shop.example.test' };
  const none: OutboundPolicy = { allowPrivate: [] };
  let v4: Listener;
  let v6: Listener | undefined;
  let receiver: WebPushReceiver;
  const providers: Provider<PushMessage>[] = [];
  let realKeys: { p256dh: string; auth: string };

  const provider = (options: Partial<Parameters<typeof createWebPushProvider>[0]> = {}) => {
    const created = createWebPushProvider({ vapid, outbound: none, timeoutMs: 5000, ...options });
    providers.push(created);
    return created;
  };
  const push = (endpoint: string): PushMessage => ({
    target: { kind: 'web-push', subscription: { endpoint, keys: realKeys } },
    title: 'Order shipped',
    body: 'On its way',
  });
  const connections = () => v4.connections + (v6?.connections ?? 0);

  beforeAll(async () => {
    v4 = (await listen('127.0.0.1'))!;
    // Where the machine has IPv6 loopback; the refusals are asserted either way.
    v6 = await listen('::1');
    receiver = await startWebPushReceiver({ vapidPublicKey: vapid.publicKey });
    realKeys = receiver.subscribe().keys;
  });
  afterAll(async () => {
    await Promise.all(providers.map((p) => p.close()));
    await v4.close();
    await v6?.close();
    await receiver.close();
  });

  it.each([
    ['127.0.0.1', () => `https://127.0.0.1:${v4.port}/push/x`, 'Refused by the outbound policy: 127.0.0.1 is a loopback address'],
    ['10.0.0.1', () => 'https://10.0.0.1/push/x', 'Refused by the outbound policy: 10.0.0.1 is a private address'],
    ['169.254.169.254', () => 'https://169.254.169.254/latest/meta-data/', 'Refused by the outbound policy: 169.254.169.254 is a link-local address'],
    ['[::1]', () => `https://[::1]:${v6?.port ?? 443}/push/x`, 'Refused by the outbound policy: ::1 is a loopback address'],
    [
      '[::ffff:127.0.0.1]',
      () => `https://[::ffff:127.0.0.1]:${v4.port}/push/x`,
      'Refused by the outbound policy: ::ffff:7f00:1 is a loopback address (it carries IPv4 127.0.0.1)',
    ],
    ['localhost', () => `https://localhost:${v4.port}/push/x`, 'Refused by the outbound policy: localhost is a loopback name'],
  ])('refuses %s without connecting, permanently, naming the policy', async (_label, endpoint, reason) => {
    const before = connections();
    await expect(provider().send(push(endpoint()))).resolves.toEqual({ kind: 'permanent', provider: 'web-push', error: reason });
    expect(connections()).toBe(before);
  });

  it('checks the address a name resolves to when connecting (a name rebound to 127.0.0.1 is refused)', async () => {
    // The door check cannot see this: push.example.test is a plain public-looking name.
    const resolve = resolverTo([{ address: '127.0.0.1', family: 4 }]);
    const before = connections();
    const outcome = await provider({ lookup: resolve }).send(push(`https://push.example.test:${v4.port}/push/x`));
    expect(outcome).toEqual({
      kind: 'permanent',
      provider: 'web-push',
      error: 'Refused by the outbound policy: push.example.test resolves to 127.0.0.1, a loopback address',
    });
    expect(resolve.calls).toBe(1);
    expect(connections()).toBe(before);
  });

  it('refuses a name when any of its addresses is private, IPv6 and IPv4-mapped included', async () => {
    for (const [addresses, reason] of [
      [[{ address: '::1', family: 6 }], /push\.example\.test resolves to ::1, a loopback address/],
      [[{ address: '8.8.8.8', family: 4 }, { address: '10.1.2.3', family: 4 }], /resolves to 10\.1\.2\.3, a private address/],
      [[{ address: '::ffff:169.254.169.254', family: 6 }], /resolves to ::ffff:169\.254\.169\.254, a link-local address/],
    ] as const) {
      const before = connections();
      const outcome = await provider({ lookup: resolverTo([...addresses]) }).send(push(`https://push.example.test:${v4.port}/push/x`));
      expect(outcome).toEqual({ kind: 'permanent', provider: 'web-push', error: expect.stringMatching(reason) });
      expect(connections()).toBe(before);
    }
  });

  it('judges what the system resolver answers for localhost under another name', async () => {
    const viaSystem: LookupFunction = (_hostname, options, callback) => dnsLookup('localhost', options, callback);
    const before = connections();
    const outcome = await provider({ lookup: viaSystem }).send(push(`https://push.example.test:${v4.port}/push/x`));
    expect(outcome).toEqual({ kind: 'permanent', provider: 'web-push', error: expect.stringMatching(/^Refused by the outbound policy: push\.example\.test resolves to (127\.0\.0\.1|::1), a loopback address$/) });
    expect(connections()).toBe(before);
  });

  it('connects to what OUTBOUND_ALLOW_PRIVATE exempts, and only that', async () => {
    const exempt = provider({ outbound: { allowPrivate: ['localhost'] }, ca: receiver.ca });
    const subscription = receiver.subscribe();
    const before = receiver.received.length + receiver.rejected.length;
    const outcome = await exempt.send({ ...push(subscription.endpoint.replace('127.0.0.1', 'localhost')), target: { kind: 'web-push', subscription: { ...subscription, endpoint: subscription.endpoint.replace('127.0.0.1', 'localhost') } } });
    // It reached the push service (which wants the VAPID audience it knows itself by, 127.0.0.1).
    expect(outcome.kind === 'permanent' && outcome.error).not.toMatch(/outbound policy/);
    expect(receiver.received.length + receiver.rejected.length).toBe(before + 1);
    // localhost is exempt by name; 127.0.0.1 written as an address is not.
    await expect(exempt.send(push(subscription.endpoint))).resolves.toMatchObject({ kind: 'permanent', error: expect.stringMatching(/^Refused by the outbound policy: 127\.0\.0\.1/) });
  });

  it('gives the network error a generic reason for an exempted destination that is down', async () => {
    const down = await listen('127.0.0.1');
    const port = down!.port;
    await down!.close();
    const outcome = await provider({ outbound: { allowPrivate: ['127.0.0.0/8'] } }).send(push(`https://127.0.0.1:${port}/push/x`));
    expect(outcome).toEqual({ kind: 'transient', provider: 'web-push', error: 'the push service could not be reached' });
  });

  it('narrows endpoints to PUSH_ENDPOINT_HOSTS', async () => {
    const listed = provider({ outbound: { allowPrivate: [], pushEndpointHosts: ['fcm.googleapis.com'] } });
    await expect(listed.send(push('https://push.example.test/push/x'))).resolves.toEqual({
      kind: 'permanent',
      provider: 'web-push',
      error: 'Refused by the outbound policy: push.example.test is not a push service listed in PUSH_ENDPOINT_HOSTS',
    });
  });
});

describe('createOutboundAgent on its own (the connection, not the provider pre-check)', () => {
  let v4: Listener;
  beforeAll(async () => {
    v4 = (await listen('127.0.0.1'))!;
  });
  afterAll(() => v4.close());

  const fail = (url: string, agent: ReturnType<typeof createOutboundAgent>) =>
    new Promise<Error>((resolve, reject) => {
      const req = request(url, { agent, timeout: 5000 }, () => reject(new Error('answered')));
      req.on('error', resolve);
      req.end();
    });

  it.each([
    ['127.0.0.1', (port: number) => `https://127.0.0.1:${port}/`, /127\.0\.0\.1 is a loopback address/],
    ['[::ffff:127.0.0.1]', (port: number) => `https://[::ffff:127.0.0.1]:${port}/`, /loopback address/],
    ['10.0.0.1', () => 'https://10.0.0.1/', /10\.0\.0\.1 is a private address/],
    ['169.254.169.254', () => 'https://169.254.169.254/', /link-local/],
    ['[fe80::1]', () => 'https://[fe80::1]/', /link-local/],
  ])('refuses %s before connecting', async (_label, url, reason) => {
    const agent = createOutboundAgent({ keepAlive: false });
    const err = await fail(url(v4.port), agent);
    expect(isOutboundPolicyError(err)).toBe(true);
    expect(err.message).toMatch(reason);
    expect(v4.connections).toBe(0);
    agent.destroy();
  });

  it('refuses a name whose lookup gives 127.0.0.1', async () => {
    const agent = createOutboundAgent({ keepAlive: false, lookup: resolverTo([{ address: '127.0.0.1', family: 4 }]) });
    const err = await fail(`https://rebound.example.test:${v4.port}/`, agent);
    expect(err.message).toBe('Refused by the outbound policy: rebound.example.test resolves to 127.0.0.1, a loopback address');
    expect(v4.connections).toBe(0);
    agent.destroy();
  });
});
