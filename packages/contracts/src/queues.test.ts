import { CLUSTER_SLOTS, clusterSlot, laneQueueName, laneQueueNames, shardOf, singleQueueName } from './queues';

describe('queue names', () => {
  it('keeps the names of every earlier release on standalone Redis with one shard', () => {
    const standalone = { hashTagged: false, shards: 1 };
    expect(laneQueueNames('realtime', standalone)).toEqual(['events-realtime']);
    expect(laneQueueNames('batch', standalone)).toEqual(['events-batch']);
    expect(singleQueueName('webhooks', standalone)).toBe('webhooks');
    expect(singleQueueName('maintenance', standalone)).toBe('maintenance');
  });

  it('adds shards beside the first on standalone Redis', () => {
    expect(laneQueueNames('realtime', { hashTagged: false, shards: 3 })).toEqual(['events-realtime', 'events-realtime-1', 'events-realtime-2']);
  });

  it('gives every queue its own hash tag in a cluster', () => {
    const cluster = { hashTagged: true, shards: 3 };
    const names = [...laneQueueNames('batch', cluster), ...laneQueueNames('realtime', cluster)];
    for (const name of names) expect(name).toMatch(/^\{events-(batch|realtime)-[0-2](~\d+)?\}$/);
    expect(new Set(names.map(clusterSlot)).size).toBe(6);
    expect(laneQueueName('realtime', 0, { hashTagged: true, shards: 1 })).toBe('{events-realtime-0}');
    expect(singleQueueName('webhooks', cluster)).toBe('{webhooks}');
  });

  it('puts shard n of a lane in the n-th of equal slot ranges, so an even cluster spreads the shards over its masters', () => {
    for (const shards of [2, 3, 4, 6, 9]) {
      for (const lane of ['realtime', 'batch'] as const) {
        laneQueueNames(lane, { hashTagged: true, shards }).forEach((name, shard) => {
          expect(Math.floor(clusterSlot(name) / (CLUSTER_SLOTS / shards))).toBe(shard);
        });
      }
    }
    // What `redis-cli --cluster create` gives three masters: 0-5460, 5461-10922, 10923-16383.
    const masterOf = (slot: number) => (slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2);
    expect(laneQueueNames('batch', { hashTagged: true, shards: 3 }).map((name) => masterOf(clusterSlot(name)))).toEqual([0, 1, 2]);
  });

  it('refuses a shard outside the topology', () => {
    expect(() => laneQueueName('realtime', 3, { hashTagged: false, shards: 3 })).toThrow(RangeError);
    expect(() => laneQueueName('realtime', -1, { hashTagged: false, shards: 3 })).toThrow(RangeError);
  });
});

describe('shardOf', () => {
  it('is 0 with one shard', () => {
    expect(shardOf('123456789', 1)).toBe(0);
  });

  it('depends on the id alone', () => {
    expect(shardOf('7345123456789012', 5)).toBe(shardOf(7345123456789012n, 5));
  });

  it('spreads time-ordered ids whose low bits are all zero over every shard, power-of-two counts included', () => {
    // Ids as the generator makes them at low traffic: sequence 0, one node, one per millisecond.
    const ids = Array.from({ length: 4000 }, (_, ms) => (BigInt(1_000_000 + ms) << 22n) | (7n << 12n));
    for (const shards of [2, 3, 4, 8]) {
      const counts = new Array<number>(shards).fill(0);
      for (const id of ids) counts[shardOf(id, shards)]! += 1;
      const expected = ids.length / shards;
      for (const count of counts) expect(Math.abs(count - expected)).toBeLessThan(expected * 0.15);
    }
  });
});

describe('clusterSlot', () => {
  it('computes what CLUSTER KEYSLOT answers', () => {
    expect(clusterSlot('123456789')).toBe(0x31c3 % 16384);
    expect(clusterSlot('foo')).toBe(12182);
    expect(clusterSlot('{user1000}.following')).toBe(clusterSlot('user1000'));
    expect(clusterSlot('mc:{events-batch-0}:wait')).toBe(clusterSlot('events-batch-0'));
    // An empty tag is no tag: the whole key is hashed.
    expect(clusterSlot('a{}b')).not.toBe(clusterSlot(''));
  });
});
