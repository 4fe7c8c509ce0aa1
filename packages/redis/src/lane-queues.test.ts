import type { Queue } from 'bullmq';
import { shardOf } from '@mc/contracts';
import { allLaneQueues, queueOfEvent, type LaneQueues } from './lane-queues';

const fake = (name: string) => ({ name }) as unknown as Queue;

describe('queueOfEvent', () => {
  const queues: LaneQueues = {
    realtime: [fake('events-realtime'), fake('events-realtime-1'), fake('events-realtime-2')],
    batch: [fake('events-batch'), fake('events-batch-1'), fake('events-batch-2')],
  };

  it("picks the lane's shard the event id picks", () => {
    for (const id of ['7290145632919045120', '7290145632919049216', '7290145632923239424', '12345']) {
      expect(queueOfEvent(queues, 'batch', id)).toBe(queues.batch[shardOf(id, 3)]);
      expect(queueOfEvent(queues, 'realtime', BigInt(id))).toBe(queues.realtime[shardOf(id, 3)]);
    }
  });

  it('is the one queue of a lane with one shard', () => {
    const one: LaneQueues = { realtime: [fake('events-realtime')], batch: [fake('events-batch')] };
    expect(queueOfEvent(one, 'realtime', '7290145632919045120')).toBe(one.realtime[0]);
  });

  it('lists every shard of every lane', () => {
    expect(allLaneQueues(queues).map((q) => q.name)).toEqual([
      'events-realtime',
      'events-realtime-1',
      'events-realtime-2',
      'events-batch',
      'events-batch-1',
      'events-batch-2',
    ]);
  });
});
