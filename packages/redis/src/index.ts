export { createRedisClient, redisClientOptions, masterNodes } from './redis-client';
export type { RedisClient, RedisRole } from './redis-client';
export { createLaneQueues, queueOfEvent, allLaneQueues } from './lane-queues';
export type { LaneQueues } from './lane-queues';
