import { createMemoryGateStore, holdKey } from './provider-gate';
import { heldDelay, withGate, type BreakerEvent } from './gated.provider';
import { withFailover } from './failover.provider';
import { pushServiceOrigin, smtpRelayFault } from './create-providers';
import type { Provider, PushMessage, SendOutcome } from './provider';

/** A provider answering from a script of outcomes, recording what it was asked to send. */
function scripted<M>(name: string, answer: (message: M) => SendOutcome['kind'], retryAfterMs = 1000): Provider<M> & { sent: M[] } {
  const provider = {
    name,
    channel: 'push' as const,
    sent: [] as M[],
    async send(message: M): Promise<SendOutcome> {
      provider.sent.push(message);
      const kind = answer(message);
      switch (kind) {
        case 'sent':
          return { kind, provider: name, providerMessageId: `${name}-${provider.sent.length}` };
        case 'rate-limited':
          return { kind, provider: name, error: 'slow down', retryAfterMs };
        case 'held':
          return { kind, provider: name, error: 'held', retryAfterMs };
        default:
          return { kind, provider: name, error: kind };
      }
    },
    async close() {},
  };
  return provider;
}

const settings = { threshold: 2, probeIntervalMs: 60_000 };
const noJitter = () => 0;

describe('held delay', () => {
  it('adds jitter so a held backlog does not come back at once', () => {
    expect(heldDelay('open', 1000, 10_000, () => 0)).toBe(1000);
    expect(heldDelay('open', 1000, 10_000, () => 1)).toBe(6000);
    expect(heldDelay('hold', 3_600_000, 10_000, () => 1)).toBe(3_605_000);
    expect(heldDelay('hold', 1000, 10_000, () => 1)).toBe(1100);
    expect(heldDelay('pace', 50, 10_000, () => 0.5)).toBe(50);
  });
});

describe('push service origins', () => {
  const push = (endpoint: string): PushMessage => ({ target: { kind: 'web-push', subscription: { endpoint, keys: { p256dh: 'x', auth: 'y' } } }, title: 't', body: 'b' });
  it('holds and breaks per push service origin', () => {
    expect(pushServiceOrigin(push('https://fcm.googleapis.com/fcm/send/abc:def'))).toBe('https://fcm.googleapis.com');
    expect(pushServiceOrigin(push('https://updates.push.services.mozilla.com:443/wpush/v2/x'))).toBe('https://updates.push.services.mozilla.com');
    expect(pushServiceOrigin(push('not a url'))).toBeUndefined();
    expect(pushServiceOrigin({ target: { kind: 'sns', endpointArn: 'arn:x' }, title: 't', body: 'b' })).toBeUndefined();
    expect(holdKey('web-push', 'https://fcm.googleapis.com')).toBe('hold:web-push@https://fcm.googleapis.com');
    expect(holdKey('sns-sms')).toBe('hold:sns-sms');
  });
});

describe('withGate', () => {
  it("holds the remote a rate-limited answer came from, not the provider's other remotes", async () => {
    const inner = scripted<string>('web-push', (to) => (to === 'a' ? 'rate-limited' : 'sent'), 3_600_000);
    const store = createMemoryGateStore(settings);
    const gated = withGate(inner, store, { remoteOf: (to) => to, probeIntervalMs: 10_000, random: noJitter });
    expect(await gated.send('a')).toMatchObject({ kind: 'rate-limited' });
    const held = await gated.send('a');
    expect(held).toMatchObject({ kind: 'held', provider: 'web-push', reason: 'hold', error: expect.stringContaining('(a)') });
    expect(held.kind === 'held' && held.retryAfterMs).toBeGreaterThan(3_590_000);
    expect(await gated.send('b')).toMatchObject({ kind: 'sent' });
    expect(inner.sent).toEqual(['a', 'b']);
  });

  it('opens after the threshold, holds without sending, and reports each change once', async () => {
    let kind: SendOutcome['kind'] = 'transient';
    const inner = scripted<string>('smtp', () => kind);
    let now = 1_000_000;
    const store = createMemoryGateStore(settings, () => now);
    const events: BreakerEvent[] = [];
    const gated = withGate(inner, store, { probeIntervalMs: settings.probeIntervalMs, onBreaker: (e) => events.push(e), random: noJitter });
    expect(await gated.send('1')).toMatchObject({ kind: 'transient' });
    expect(await gated.send('2')).toMatchObject({ kind: 'transient' });
    for (let i = 0; i < 5; i++) expect(await gated.send('x')).toMatchObject({ kind: 'held', reason: 'open', retryAfterMs: 60_000 });
    expect(inner.sent).toEqual(['1', '2']);
    now += 60_000;
    kind = 'sent';
    expect(await gated.send('3')).toMatchObject({ kind: 'sent' });
    expect(await gated.send('4')).toMatchObject({ kind: 'sent' });
    expect(events.map((e) => [e.change, e.state])).toEqual([
      ['opened', 'open'],
      ['probing', 'half-open'],
      ['closed', 'closed'],
    ]);
    expect(events[0]).toMatchObject({ breaker: 'smtp', provider: 'smtp', error: 'transient' });
  });

  it('counts a refusal as the provider being up', async () => {
    const answers: SendOutcome['kind'][] = ['transient', 'permanent', 'transient', 'address-invalid', 'transient'];
    const inner = scripted<string>('smtp', () => answers.shift()!);
    const gated = withGate(inner, createMemoryGateStore(settings), { probeIntervalMs: 1000 });
    for (let i = 0; i < 5; i++) expect((await gated.send('m')).kind).not.toBe('held');
  });

  it('counts only what the predicate calls a provider fault: a relay judging one recipient is up', async () => {
    const errors = ['451 4.7.1 Greylisted (RCPT TO)', 'connect ECONNREFUSED 127.0.0.1:25', '450 4.2.1 Mailbox busy (RCPT TO)', '421 4.3.2 Shutting down (RCPT TO)', 'Connection timeout'];
    const inner: Provider<string> = { name: 'smtp', channel: 'email', send: async () => ({ kind: 'transient', provider: 'smtp', error: errors.shift()! }), close: async () => {} };
    const gated = withGate(inner, createMemoryGateStore(settings), { probeIntervalMs: 1000, isProviderFault: smtpRelayFault });
    // greylisted: up; refused (1); 450 resets the count; 421 (1); timeout (2): open only now.
    for (let i = 0; i < 5; i++) expect((await gated.send('m')).kind).toBe('transient');
    expect(await gated.send('m')).toMatchObject({ kind: 'held', reason: 'open' });
  });

  it('answers transient when the gate itself is unreachable', async () => {
    const inner = scripted<string>('smtp', () => 'sent');
    const store = { ...createMemoryGateStore(settings), enter: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')) };
    const gated = withGate(inner, store, { probeIntervalMs: 1000 });
    expect(await gated.send('m')).toMatchObject({ kind: 'transient', error: expect.stringContaining('provider gate unavailable') });
    expect(inner.sent).toEqual([]);
  });
});

describe('withFailover', () => {
  const pair = (primaryKind: () => SendOutcome['kind'], secondaryKind: () => SendOutcome['kind'], extra: { perSecond?: number } = {}) => {
    const a = scripted<string>('a', primaryKind);
    const b = scripted<string>('b', secondaryKind);
    const gate = (p: Provider<string>) => withGate(p, createMemoryGateStore({ ...settings, ...extra }), { probeIntervalMs: 60_000, random: noJitter });
    return { a, b, failover: withFailover(gate(a), gate(b)) };
  };

  it("goes to the secondary once the primary's breaker is open", async () => {
    const { a, b, failover } = pair(() => 'transient', () => 'sent');
    expect(failover.name).toBe('failover(a,b)');
    expect(await failover.send('1')).toMatchObject({ kind: 'transient', provider: 'a' });
    expect(await failover.send('2')).toMatchObject({ kind: 'transient', provider: 'a' });
    expect(await failover.send('3')).toMatchObject({ kind: 'sent', provider: 'b' });
    expect(await failover.send('4')).toMatchObject({ kind: 'sent', provider: 'b' });
    expect([a.sent, b.sent]).toEqual([['1', '2'], ['3', '4']]);
  });

  it("sends a message whose probe of the primary failed on to the secondary at once", async () => {
    let now = 1_000_000;
    const a = scripted<string>('a', () => 'transient');
    const b = scripted<string>('b', () => 'sent');
    const gate = (p: Provider<string>) => withGate(p, createMemoryGateStore(settings, () => now), { probeIntervalMs: 60_000, random: noJitter });
    const failover = withFailover(gate(a), gate(b));
    await failover.send('1');
    await failover.send('2');
    now += 60_000;
    expect(await failover.send('probe')).toMatchObject({ kind: 'sent', provider: 'b' });
    expect([a.sent, b.sent]).toEqual([['1', '2', 'probe'], ['probe']]);
    expect(await failover.send('3')).toMatchObject({ kind: 'sent', provider: 'b' });
    expect(a.sent).toHaveLength(3);
  });

  it('holds when both breakers are open, with the shorter wait, sending nothing', async () => {
    const { a, b, failover } = pair(() => 'transient', () => 'transient');
    for (let i = 0; i < 4; i++) await failover.send(String(i));
    expect([a.sent.length, b.sent.length]).toEqual([2, 2]);
    const held = await failover.send('x');
    expect(held).toMatchObject({ kind: 'held', reason: 'open', error: expect.stringMatching(/^a: circuit open.*; b: circuit open/) });
    expect([a.sent.length, b.sent.length]).toEqual([2, 2]);
  });

  it("sends to the secondary while the primary is on hold, but does not spill the primary's pacing onto it", async () => {
    const rateLimited = pair(() => 'rate-limited', () => 'sent');
    expect(await rateLimited.failover.send('1')).toMatchObject({ kind: 'rate-limited', provider: 'a' });
    expect(await rateLimited.failover.send('2')).toMatchObject({ kind: 'sent', provider: 'b' });

    const paced = pair(() => 'sent', () => 'sent', { perSecond: 1 });
    expect(await paced.failover.send('1')).toMatchObject({ kind: 'sent', provider: 'a' });
    expect(await paced.failover.send('2')).toMatchObject({ kind: 'held', provider: 'a', reason: 'pace' });
    expect(paced.b.sent).toEqual([]);
  });
});
