import { withFailover } from './failover.provider';
import type { Provider, SendOutcome } from './provider';

/** A provider answering from a script of outcome kinds, recording how often it was used. */
function scripted(name: string, kinds: () => SendOutcome['kind']): Provider<string> & { calls: number } {
  const provider = {
    name,
    channel: 'sms' as const,
    calls: 0,
    async send(): Promise<SendOutcome> {
      provider.calls += 1;
      const kind = kinds();
      switch (kind) {
        case 'sent':
          return { kind, provider: name, providerMessageId: `${name}-${provider.calls}` };
        case 'rate-limited':
          return { kind, provider: name, error: 'slow down', retryAfterMs: 100 };
        default:
          return { kind, provider: name, error: kind };
      }
    },
    async close() {},
  };
  return provider;
}

describe('withFailover', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('switches to the secondary after `threshold` consecutive transient answers, for the cool-down', async () => {
    let primaryKind: SendOutcome['kind'] = 'transient';
    const primary = scripted('a', () => primaryKind);
    const secondary = scripted('b', () => 'sent');
    const failover = withFailover(primary, secondary, { threshold: 3, coolDownMs: 10_000, now: clock });

    expect(failover.name).toBe('failover(a,b)');
    expect(failover.channel).toBe('sms');
    for (let i = 0; i < 3; i += 1) expect(await failover.send('m')).toMatchObject({ kind: 'transient', provider: 'a' });
    expect(failover.active).toBe('b');
    expect(await failover.send('m')).toMatchObject({ kind: 'sent', provider: 'b' });
    now += 9_999;
    expect(await failover.send('m')).toMatchObject({ provider: 'b' });
    expect(primary.calls).toBe(3);

    // Cool-down over: the primary is tried again, and it has recovered.
    now += 1;
    primaryKind = 'sent';
    expect(failover.active).toBe('a');
    expect(await failover.send('m')).toMatchObject({ kind: 'sent', provider: 'a' });
    expect(primary.calls).toBe(4);
  });

  it('counts rate-limited answers too, and resets the count on any real answer', async () => {
    const kinds: SendOutcome['kind'][] = ['rate-limited', 'transient', 'permanent', 'transient', 'rate-limited', 'sent', 'transient'];
    const primary = scripted('a', () => kinds.shift() ?? 'sent');
    const secondary = scripted('b', () => 'sent');
    const failover = withFailover(primary, secondary, { threshold: 3, now: clock });
    for (let i = 0; i < 7; i += 1) await failover.send('m');
    expect(secondary.calls).toBe(0);
    expect(failover.active).toBe('a');
  });

  it('goes straight back to the secondary when the primary fails its first try after the cool-down', async () => {
    const primary = scripted('a', () => 'transient');
    const secondary = scripted('b', () => 'sent');
    const failover = withFailover(primary, secondary, { threshold: 2, coolDownMs: 1_000, now: clock });
    await failover.send('m');
    await failover.send('m');
    expect(failover.active).toBe('b');
    now += 1_000;
    expect(await failover.send('m')).toMatchObject({ provider: 'a', kind: 'transient' });
    expect(failover.active).toBe('b');
    expect(await failover.send('m')).toMatchObject({ provider: 'b' });
  });

  it('passes the secondary outcome through as it is, naming the secondary', async () => {
    const failover = withFailover(scripted('a', () => 'transient'), scripted('b', () => 'address-invalid'), { threshold: 1, now: clock });
    await failover.send('m');
    expect(await failover.send('m')).toEqual({ kind: 'address-invalid', provider: 'b', error: 'address-invalid' });
  });

  it('refuses mixed channels and a non-positive threshold', () => {
    const email: Provider<string> = { ...scripted('e', () => 'sent'), channel: 'email' };
    expect(() => withFailover(scripted('a', () => 'sent'), email, { threshold: 1 })).toThrow(/channels/);
    expect(() => withFailover(scripted('a', () => 'sent'), scripted('b', () => 'sent'), { threshold: 0 })).toThrow(/threshold/);
  });
});
