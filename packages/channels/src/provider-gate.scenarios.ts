/**
 * The gate's state machine as scenarios every GateStore must pass: the memory store in a unit
 * test, the Redis store (the Lua scripts) against the real Redis. Real clock, short
 * intervals, and waits on conditions rather than fixed sleeps.
 */
import type { GateSettings, GateStore } from './provider-gate';
import { holdKey } from './provider-gate';

export type MakeStore = (settings: GateSettings) => GateStore;

const PROBE_MS = 150;

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}, last ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function gateStoreScenarios(make: MakeStore): void {
  const breakerSettings: GateSettings = { threshold: 3, probeIntervalMs: PROBE_MS };

  describe('circuit breaker', () => {
    it('closed → open after `threshold` consecutive failures; sends are then held for the probe interval', async () => {
      const store = make(breakerSettings);
      expect(await store.state('b')).toBe('closed');
      expect(await store.failed('b', false)).toBeUndefined();
      expect(await store.failed('b', false)).toBeUndefined();
      expect(await store.enter('b', [])).toEqual({ go: true, probe: false, failures: 2 });
      expect(await store.failed('b', false)).toBe('opened');
      expect(await store.state('b')).toBe('open');
      const held = await store.enter('b', []);
      expect(held).toMatchObject({ go: false, reason: 'open' });
      expect(held.go === false && held.waitMs).toBeGreaterThan(0);
      expect(held.go === false && held.waitMs).toBeLessThanOrEqual(PROBE_MS);
      // Other breakers are untouched.
      expect(await store.enter('other', [])).toEqual({ go: true, probe: false, failures: 0 });
    });

    it('a success between failures starts the count again', async () => {
      const store = make(breakerSettings);
      await store.failed('b', false);
      await store.failed('b', false);
      expect(await store.succeeded('b')).toBeUndefined();
      await store.failed('b', false);
      expect(await store.failed('b', false)).toBeUndefined();
      expect(await store.state('b')).toBe('closed');
    });

    it('open → half-open after the interval: exactly one caller probes; its success closes the breaker', async () => {
      const store = make(breakerSettings);
      for (let i = 0; i < 3; i++) await store.failed('b', false);
      await until(() => store.state('b'), (s) => s === 'half-open', 'half-open');
      const entries = await Promise.all(Array.from({ length: 5 }, () => store.enter('b', [])));
      const probes = entries.filter((e) => e.go);
      expect(probes).toEqual([{ go: true, probe: true, failures: 3 }]);
      expect(entries.filter((e) => !e.go)).toHaveLength(4);
      expect(await store.state('b')).toBe('open');
      expect(await store.succeeded('b')).toBe('closed');
      expect(await store.state('b')).toBe('closed');
      expect(await store.enter('b', [])).toEqual({ go: true, probe: false, failures: 0 });
    });

    it('a failed probe re-opens the breaker for another interval', async () => {
      const store = make(breakerSettings);
      for (let i = 0; i < 3; i++) await store.failed('b', false);
      await until(() => store.state('b'), (s) => s === 'half-open', 'half-open');
      const probe = await store.enter('b', []);
      expect(probe).toMatchObject({ go: true, probe: true });
      expect(await store.failed('b', true)).toBe('reopened');
      expect(await store.state('b')).toBe('open');
      expect(await store.enter('b', [])).toMatchObject({ go: false, reason: 'open' });
      // A straggler's failure while open changes nothing.
      expect(await store.failed('b', false)).toBeUndefined();
      await until(() => store.state('b'), (s) => s === 'half-open', 'half-open again');
      expect(await store.enter('b', [])).toMatchObject({ go: true, probe: true });
    });
  });

  describe('holds', () => {
    it("a hold on one remote holds that remote only, and a shorter hold does not cut it short", async () => {
      const store = make(breakerSettings);
      const a = [holdKey('web-push'), holdKey('web-push', 'https://a.example')];
      const b = [holdKey('web-push'), holdKey('web-push', 'https://b.example')];
      await store.hold(holdKey('web-push', 'https://a.example'), 5000);
      await store.hold(holdKey('web-push', 'https://a.example'), 100);
      const heldA = await store.enter('web-push@https://a.example', a);
      expect(heldA).toMatchObject({ go: false, reason: 'hold' });
      expect(heldA.go === false && heldA.waitMs).toBeGreaterThan(4000);
      expect(await store.enter('web-push@https://b.example', b)).toMatchObject({ go: true });
    });

    it('a hold on the provider holds every remote behind it', async () => {
      const store = make(breakerSettings);
      await store.hold(holdKey('sns-sms'), 1000);
      expect(await store.enter('sns-sms', [holdKey('sns-sms')])).toMatchObject({ go: false, reason: 'hold' });
      expect(await store.enter('sns-push', [holdKey('sns-push')])).toMatchObject({ go: true });
    });
  });

  describe('pacing', () => {
    it('holds a caller whose slot is beyond maxAwaitMs, spreading held callers over later slots without reserving them', async () => {
      const store = make({ ...breakerSettings, perSecond: 5 });
      const started = Date.now();
      expect(await store.enter('p', [])).toMatchObject({ go: true });
      const second = await store.enter('p', []);
      const third = await store.enter('p', []);
      // Told to come back for the next slot and the one after (200 and 400 ms), not all at the
      // same time; half of maxAwaitMs (100 ms) early, to sit out the rest in process.
      expect(second).toMatchObject({ go: false, reason: 'pace' });
      expect(second.go === false && second.waitMs).toBeGreaterThan(100);
      expect(second.go === false && second.waitMs).toBeLessThanOrEqual(150);
      expect(third.go === false && third.waitMs).toBeGreaterThan(300);
      expect(third.go === false && third.waitMs).toBeLessThanOrEqual(350);
      // Neither kept its slot: when the held callers do not come back, a newcomer gets the
      // very next slot (200 ms), not one after theirs (600 ms).
      await until(() => store.enter('p', []), (e) => e.go, 'the next slot');
      expect(Date.now() - started).toBeLessThan(400);
    });

    it('sits out a wait up to maxAwaitMs instead of holding, keeping the spacing', async () => {
      // A little room above one interval: a timer may fire a millisecond before the clock says.
      const store = make({ ...breakerSettings, perSecond: 50, maxAwaitMs: 30 });
      const started = performance.now();
      const entries = [];
      for (let i = 0; i < 4; i++) entries.push(await store.enter('fast', []));
      expect(entries.every((e) => e.go)).toBe(true);
      // Four slots 20 ms apart: the last one starts 60 ms after the first.
      expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    });
  });
}
