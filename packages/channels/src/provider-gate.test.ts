import { createMemoryGateStore } from './provider-gate';
import { gateStoreScenarios } from './provider-gate.scenarios';

describe('memory gate store', () => {
  gateStoreScenarios((settings) => createMemoryGateStore(settings));

  it('refuses settings that would make every send fail or never pace', () => {
    expect(() => createMemoryGateStore({ threshold: 0, probeIntervalMs: 1000 })).toThrow(/threshold/);
    expect(() => createMemoryGateStore({ threshold: 3, probeIntervalMs: 0 })).toThrow(/probe interval/);
    expect(() => createMemoryGateStore({ threshold: 3, probeIntervalMs: 1000, perSecond: 0 })).toThrow(/perSecond/);
  });

  it('forgets failures of a spell of trouble long past', async () => {
    let now = 1_000_000;
    const store = createMemoryGateStore({ threshold: 3, probeIntervalMs: 1000 }, () => now);
    await store.failed('b', false);
    await store.failed('b', false);
    now += 11 * 60_000;
    expect(await store.failed('b', false)).toBeUndefined();
    expect(await store.state('b')).toBe('closed');
  });
});
