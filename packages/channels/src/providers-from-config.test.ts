import type { Redis } from 'ioredis';
import { generateVAPIDKeys } from 'web-push';
import { loadConfig } from '@mc/config';
import { createChannelProviders } from './providers-from-config';

/** A Redis stand-in that records rate-limiter calls (key, interval) and never makes anyone wait. */
function recordingRedis(calls: string[]): Redis {
  return {
    evalsha: async (_sha: string, _keys: number, key: string, interval: string) => {
      calls.push(`${key} ${interval}`);
      return 0;
    },
  } as unknown as Redis;
}

describe('createChannelProviders', () => {
  const vapid = generateVAPIDKeys();
  // Keys that cannot be encrypted for: the provider answers without any network I/O.
  const brokenSubscription = { endpoint: 'https://push.example.test/x', keys: { p256dh: 'AAAA', auth: 'AAAA' } };

  it("holds push to a provider's slow-down even when no push rate is configured", async () => {
    const calls: string[] = [];
    const config = loadConfig({ VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, QUEUE_PREFIX: 'p1' });
    const providers = createChannelProviders(config, recordingRedis(calls));
    const outcome = await providers.push!.send({ target: { kind: 'web-push', subscription: brokenSubscription }, title: 't', body: 'b' });
    expect(outcome.kind).toBe('address-invalid');
    expect(calls).toEqual(['p1:rate:web-push 0.000']);
    await providers.close();
  });

  it('paces push at the configured rate', async () => {
    const calls: string[] = [];
    const config = loadConfig({ VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, PUSH_RATE_PER_SECOND: '40' });
    const providers = createChannelProviders(config, recordingRedis(calls));
    await providers.push!.send({ target: { kind: 'web-push', subscription: brokenSubscription }, title: 't', body: 'b' });
    expect(calls).toEqual(['mc:rate:web-push 25.000']);
    await providers.close();
  });

  it('uses no limiter at all without Redis', async () => {
    const config = loadConfig({ VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, PUSH_RATE_PER_SECOND: '40' });
    const providers = createChannelProviders(config);
    const outcome = await providers.push!.send({ target: { kind: 'web-push', subscription: brokenSubscription }, title: 't', body: 'b' });
    expect(outcome.kind).toBe('address-invalid');
    await providers.close();
  });
});
