import { withGateRecall } from './gate-recall';
import { createMemoryGateStore, holdKey, type GateStore } from './provider-gate';

/** A memory store whose `enter` calls are counted: the round trips the recall saves. */
function countingStore(now: () => number): { store: GateStore; enters: () => number } {
  const inner = createMemoryGateStore({ threshold: 2, probeIntervalMs: 1000 }, now);
  let enters = 0;
  return {
    store: { ...inner, enter: (breaker, holds) => (enters++, inner.enter(breaker, holds)) },
    enters: () => enters,
  };
}

describe('withGateRecall', () => {
  let clock = 1_000_000;
  const now = () => clock;
  beforeEach(() => (clock = 1_000_000));

  it('answers a clear gate from memory within the ttl, and asks again after it', async () => {
    const { store, enters } = countingStore(now);
    const gate = withGateRecall(store, { ttlMs: 250, now });
    for (let i = 0; i < 5; i++) expect(await gate.enter('smtp', [holdKey('smtp')])).toEqual({ go: true, probe: false, failures: 0 });
    expect(enters()).toBe(1);
    clock += 250;
    await gate.enter('smtp', [holdKey('smtp')]);
    expect(enters()).toBe(2);
  });

  it('remembers each breaker and its holds apart', async () => {
    const { store, enters } = countingStore(now);
    const gate = withGateRecall(store, { ttlMs: 250, now });
    await gate.enter('webpush@https://a.example', [holdKey('webpush'), holdKey('webpush', 'https://a.example')]);
    await gate.enter('webpush@https://b.example', [holdKey('webpush'), holdKey('webpush', 'https://b.example')]);
    expect(enters()).toBe(2);
  });

  it("sees its own replica's hold at once", async () => {
    const { store } = countingStore(now);
    const gate = withGateRecall(store, { ttlMs: 250, now });
    await gate.enter('smtp', [holdKey('smtp')]);
    await gate.hold(holdKey('smtp'), 5000);
    expect(await gate.enter('smtp', [holdKey('smtp')])).toMatchObject({ go: false, reason: 'hold' });
  });

  it('asks again after a failure, and keeps asking while failures are counted, until a success', async () => {
    const { store, enters } = countingStore(now);
    const gate = withGateRecall(store, { ttlMs: 250, now });
    await gate.enter('smtp', []);
    await gate.failed('smtp', false);
    expect(await gate.enter('smtp', [])).toEqual({ go: true, probe: false, failures: 1 });
    expect(await gate.enter('smtp', [])).toEqual({ go: true, probe: false, failures: 1 });
    expect(enters()).toBe(3);
    await gate.succeeded('smtp');
    await gate.enter('smtp', []);
    await gate.enter('smtp', []);
    expect(enters()).toBe(4);
  });

  it('sees a breaker its own failures opened at once, and never remembers a probe', async () => {
    const { store } = countingStore(now);
    const gate = withGateRecall(store, { ttlMs: 250, now });
    await gate.enter('smtp', []);
    await gate.failed('smtp', false);
    expect(await gate.failed('smtp', false)).toBe('opened');
    expect(await gate.enter('smtp', [])).toMatchObject({ go: false, reason: 'open' });
    clock += 1000;
    expect(await gate.enter('smtp', [])).toEqual({ go: true, probe: true, failures: 2 });
    // The probe's answer is not remembered: the next caller is held until the probe succeeds.
    expect(await gate.enter('smtp', [])).toMatchObject({ go: false, reason: 'open' });
  });

  it('does not remember a refusal', async () => {
    const { store, enters } = countingStore(now);
    const gate = withGateRecall(store, { ttlMs: 250, now });
    await store.hold(holdKey('smtp'), 100);
    expect(await gate.enter('smtp', [holdKey('smtp')])).toMatchObject({ go: false });
    clock += 100;
    expect(await gate.enter('smtp', [holdKey('smtp')])).toMatchObject({ go: true });
    expect(enters()).toBe(2);
  });

  it('forgets expired gates before remembering more than 1024, so hostile push origins cannot grow it', async () => {
    const { store } = countingStore(now);
    const gate = withGateRecall(store, { ttlMs: 250, now });
    for (let i = 0; i < 1024; i++) await gate.enter(`webpush@https://${i}.example`, []);
    expect(gate.remembered).toBe(1024);
    clock += 250;
    await gate.enter('webpush@https://new.example', []);
    expect(gate.remembered).toBe(1);
  });

  it('does not remember a clear answer that arrives after a failure of this replica', async () => {
    const { store, enters } = countingStore(now);
    const gate = withGateRecall(store, { ttlMs: 250, now });
    // A send's enter is on its way to Redis while another send fails.
    const inFlight = gate.enter('smtp', []);
    await gate.failed('smtp', false);
    await inFlight;
    expect(await gate.enter('smtp', [])).toEqual({ go: true, probe: false, failures: 1 });
    expect(enters()).toBe(2);
  });
});
