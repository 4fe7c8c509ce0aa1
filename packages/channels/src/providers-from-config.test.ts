import type { Redis } from 'ioredis';
import { generateVAPIDKeys } from 'web-push';
import { loadConfig } from '@mc/config';
import { createChannelProviders } from './providers-from-config';

/** A Redis stand-in that records each gate call (keys and the pacing interval) and always says go. */
function recordingRedis(calls: { keys: string[]; interval: string }[]): Redis {
  return {
    evalsha: async (_sha: string, keyCount: number, ...rest: string[]) => {
      calls.push({ keys: rest.slice(0, keyCount), interval: rest[keyCount]! });
      return ['go', 0, 0, 0];
    },
  } as unknown as Redis;
}

describe('createChannelProviders', () => {
  const vapid = generateVAPIDKeys();
  // Keys that cannot be encrypted for: the provider answers without any network I/O.
  const brokenSubscription = { endpoint: 'https://push.example.test/x', keys: { p256dh: 'AAAA', auth: 'AAAA' } };
  const env = { VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey };

  it('checks holds and the breaker of the push service origin in one round trip, even with no rate configured', async () => {
    const calls: { keys: string[]; interval: string }[] = [];
    const providers = createChannelProviders(loadConfig({ ...env, QUEUE_PREFIX: 'p1' }), recordingRedis(calls));
    const outcome = await providers.push!.send({ target: { kind: 'web-push', subscription: brokenSubscription }, title: 't', body: 'b' });
    expect(outcome.kind).toBe('address-invalid');
    expect(calls).toEqual([
      {
        keys: [
          'p1:gate:{web-push}:rate:web-push',
          'p1:gate:{web-push}:pace-hint:web-push',
          'p1:gate:{web-push}:breaker:web-push@https://push.example.test',
          'p1:gate:{web-push}:probe:web-push@https://push.example.test',
          'p1:gate:{web-push}:hold:web-push',
          'p1:gate:{web-push}:hold:web-push@https://push.example.test',
        ],
        interval: '0.000',
      },
    ]);
    await providers.close();
  });

  it('paces push at the configured rate', async () => {
    const calls: { keys: string[]; interval: string }[] = [];
    const providers = createChannelProviders(loadConfig({ ...env, PUSH_RATE_PER_SECOND: '40' }), recordingRedis(calls));
    await providers.push!.send({ target: { kind: 'web-push', subscription: brokenSubscription }, title: 't', body: 'b' });
    expect(calls.map((c) => [c.keys[0], c.interval])).toEqual([['mc:gate:{web-push}:rate:web-push', '25.000']]);
    await providers.close();
  });

  it('keeps a gate per process without Redis', async () => {
    const providers = createChannelProviders(loadConfig({ ...env, PUSH_RATE_PER_SECOND: '40' }));
    const outcome = await providers.push!.send({ target: { kind: 'web-push', subscription: brokenSubscription }, title: 't', body: 'b' });
    expect(outcome.kind).toBe('address-invalid');
    await providers.close();
  });
});
