/**
 * The event lanes as BullMQ queues: each lane is `shards` queues (QUEUE_SHARDS), named by
 * `laneQueueName` (hash-tagged in a cluster), and an event's job lives in the shard its id
 * picks (`shardOf`), so producers, the sweeper and the event's view agree without a lookup.
 */
import { Queue } from 'bullmq';
import { LANES, type Lane } from '@mc/core';
import { laneQueueName, shardOf, type QueueTopology } from '@mc/contracts';
import type { RedisClient } from './redis-client';

/** Every shard's queue of each lane, in shard order. */
export type LaneQueues = Readonly<Record<Lane, readonly Queue[]>>;

export function createLaneQueues(connection: RedisClient, prefix: string, topology: QueueTopology): LaneQueues {
  return Object.fromEntries(
    LANES.map((lane) => [lane, Array.from({ length: topology.shards }, (_, shard) => new Queue(laneQueueName(lane, shard, topology), { connection, prefix }))]),
  ) as Record<Lane, Queue[]>;
}

/** The queue that holds (or will hold) an event's job. */
export function queueOfEvent(queues: LaneQueues, lane: Lane, eventId: string | bigint): Queue {
  const shards = queues[lane];
  return shards[shardOf(eventId, shards.length)]!;
}

/** Every queue of every lane, for metrics, the dashboard and closing. */
export function allLaneQueues(queues: LaneQueues): Queue[] {
  return LANES.flatMap((lane) => queues[lane]);
}
