// The recall in front of the real Redis gate store, with two replicas sharing one key space:
// what one replica records reaches the other within the recall time, its own at once.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { withGateRecall } from './gate-recall';
import { createRedisGateStore, holdKey, type GateStore } from './provider-gate';

const REDIS_URL = 'redis://127.0.0.1:6379';
const TTL_MS = 250;

describe('gate recall on the Redis gate store, two replicas', () => {
  const prefix = `mc-test:${randomUUID()}:`;
  const connections: Redis[] = [];
  let n = 0;

  afterAll(async () => {
    const [first] = connections;
    const keys = first ? await first.keys(`${prefix}*`) : [];
    if (keys.length > 0) await first!.del(...keys);
    await Promise.all(connections.map((c) => c.quit()));
  });

  /** Two replicas, each with its own connection and recall, on one key space of their own. */
  function replicas(ttlMs = TTL_MS): [GateStore, GateStore] {
    const space = `${prefix}${++n}:`;
    const replica = () => {
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      connections.push(redis);
      const store = createRedisGateStore(redis, { name: 'smtp', prefix: space, threshold: 3, probeIntervalMs: 10_000 });
      return withGateRecall(store, { ttlMs });
    };
    return [replica(), replica()];
  }

  /** Enters until the gate says no; how long that took. */
  async function msUntilHeld(gate: GateStore, holds: string[]): Promise<number> {
    const start = performance.now();
    for (;;) {
      const entry = await gate.enter('smtp', holds);
      if (!entry.go) return performance.now() - start;
      if (performance.now() - start > 5_000) throw new Error('never held');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('answers from memory within the recall time: the Redis round trip is saved', async () => {
    // A long recall, so that the check cannot outlast it on a slow machine.
    const [a, b] = replicas(10_000);
    const holds = [holdKey('smtp')];
    expect(await a.enter('smtp', holds)).toMatchObject({ go: true });
    await b.hold(holdKey('smtp'), 30_000);
    // Redis says hold, but A remembers the clear answer it had: it did not ask.
    expect(await a.enter('smtp', holds)).toEqual({ go: true, probe: false, failures: 0 });
    expect(await b.enter('smtp', holds)).toMatchObject({ go: false, reason: 'hold' });
  });

  it("sees another replica's hold within the recall time, its own at once", async () => {
    const [a, b] = replicas();
    const holds = [holdKey('smtp')];
    expect(await a.enter('smtp', holds)).toMatchObject({ go: true });
    expect(await b.enter('smtp', holds)).toMatchObject({ go: true });

    await b.hold(holdKey('smtp'), 30_000);
    expect(await b.enter('smtp', holds)).toMatchObject({ go: false, reason: 'hold' });
    expect(await msUntilHeld(a, holds)).toBeLessThan(TTL_MS + 100);
  });

  it("sees a breaker another replica's failures opened within the recall time", async () => {
    const [a, b] = replicas();
    expect(await a.enter('smtp', [])).toMatchObject({ go: true });
    expect(await b.enter('smtp', [])).toMatchObject({ go: true });

    await b.failed('smtp', false);
    await b.failed('smtp', false);
    expect(await b.failed('smtp', false)).toBe('opened');
    expect(await b.enter('smtp', [])).toMatchObject({ go: false, reason: 'open' });
    expect(await msUntilHeld(a, [])).toBeLessThan(TTL_MS + 100);
  });

  it('counts failures across replicas as consecutive: a success through the recall does not hide them', async () => {
    const [a, b] = replicas();
    expect(await a.enter('smtp', [])).toMatchObject({ go: true });
    await a.failed('smtp', false);
    // A's next enter asks Redis (its failure cleared the memory) and hears the count; a success
    // there closes the streak, as the gated provider reports it when failures > 0.
    const entry = await a.enter('smtp', []);
    expect(entry).toEqual({ go: true, probe: false, failures: 1 });
    await a.succeeded('smtp');
    await b.failed('smtp', false);
    await b.failed('smtp', false);
    expect(await b.state('smtp')).toBe('closed');
  });
});
