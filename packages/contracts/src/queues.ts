/**
 * Queue names and the job payload shared by the ingest service (producer) and the worker
 * (consumer). Jobs outlive deploys, so the payload carries a version.
 */
import type { Channel, Lane } from '@mc/core';
import type { EventInput } from './event-input';

/**
 * The lanes' base names: with standalone Redis and one shard, the queue names themselves (the
 * names every release before sharding used, so an upgrade strands no job). See laneQueueName.
 */
export const QUEUE_NAMES: Readonly<Record<Lane, string>> = {
  realtime: 'events-realtime',
  batch: 'events-batch',
};

/** Housekeeping jobs (retention), run by the workers on a schedule. */
export const MAINTENANCE_QUEUE = 'maintenance';

/**
 * How queues are laid out in Redis (from the config's `queues`): `hashTagged` in a Redis
 * Cluster, `shards` queues per lane.
 */
export interface QueueTopology {
  /**
   * Wrap every queue name in a hash tag (`{events-realtime-0}`): BullMQ's scripts touch many
   * keys of one queue (`<prefix>:<name>:wait`, `:delayed`, ...), which a cluster accepts only
   * when they hash to one slot; one tag per queue also puts different queues on different slots.
   */
  hashTagged: boolean;
  /** Queues per lane (QUEUE_SHARDS), 1 or more. */
  shards: number;
}

/**
 * The queue name of shard `shard` of a lane. Standalone Redis: shard 0 keeps the lane's own name
 * (`events-realtime`), shard n > 0 is `events-realtime-<n>`. Cluster: every shard is hash-tagged,
 * `{events-realtime-<n>}`, shard 0 included — with a suffix (`{events-realtime-<n>~<k>}`, the
 * smallest k that does it) when needed to put the tag's slot in the n-th of `shards` equal slot
 * ranges. A cluster made with `redis-cli --cluster create` splits the slots evenly between its
 * masters, so with QUEUE_SHARDS a multiple of the masters each master holds as many shards of
 * each lane: by the hash alone, three shards would share a master two times in three.
 */
export function laneQueueName(lane: Lane, shard: number, topology: QueueTopology): string {
  if (!Number.isInteger(shard) || shard < 0 || shard >= topology.shards) {
    throw new RangeError(`shard must be an integer in 0..${topology.shards - 1}, got ${shard}`);
  }
  const base = QUEUE_NAMES[lane];
  if (!topology.hashTagged) return shard === 0 ? base : `${base}-${shard}`;
  const width = CLUSTER_SLOTS / topology.shards;
  // A margin inside the range, so a split that is off by a slot or two still agrees.
  const low = Math.ceil(shard * width + Math.min(16, width / 4));
  const high = Math.floor((shard + 1) * width - Math.min(16, width / 4));
  for (let k = 0; ; k++) {
    const tag = k === 0 ? `${base}-${shard}` : `${base}-${shard}~${k}`;
    const slot = clusterSlot(tag);
    if (slot >= low && slot < high) return `{${tag}}`;
  }
}

/** Hash slots of a Redis Cluster. */
export const CLUSTER_SLOTS = 16384;

/**
 * The cluster slot of a key (CRC16/XMODEM of the key, or of its first non-empty `{...}` hash
 * tag, mod 16384), as Redis computes it (CLUSTER KEYSLOT).
 */
export function clusterSlot(key: string): number {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of new TextEncoder().encode(hashed)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % CLUSTER_SLOTS;
}

/** Every shard's queue name of a lane, in shard order. */
export function laneQueueNames(lane: Lane, topology: QueueTopology): string[] {
  return Array.from({ length: topology.shards }, (_, shard) => laneQueueName(lane, shard, topology));
}

/** The name of a queue that is never sharded (maintenance, webhooks): hash-tagged in a cluster. */
export function singleQueueName(name: string, topology: Pick<QueueTopology, 'hashTagged'>): string {
  return topology.hashTagged ? `{${name}}` : name;
}

/**
 * The shard an event's job lives in, from its id alone, so every reader (the event's view, a
 * re-drive, the sweeper) finds it without a lookup. Ids are time-ordered with a per-millisecond
 * sequence in the low bits (mostly 0 at low traffic), so `id mod n` would pile a
 * power-of-two shard count onto shard 0: the id is mixed first (Fibonacci hashing).
 */
export function shardOf(eventId: string | bigint, shards: number): number {
  if (shards <= 1) return 0;
  const mixed = BigInt.asUintN(64, BigInt(eventId) * 0x9e3779b97f4a7c15n) >> 32n;
  return Number(mixed % BigInt(shards));
}

/** The name every event job carries (BullMQ job name), so the dashboard reads well. */
export const DELIVER_JOB = 'deliver';

export const EVENT_JOB_VERSION = 1;

/**
 * The BullMQ job id of generation `generation` of an event: `ev-<event id>` as accepted
 * (BullMQ refuses custom ids that read as integers, so the event id alone cannot be the job
 * id), `ev-<event id>-g<n>` after the n-th re-drive. One id per generation makes every
 * enqueue of it idempotent: repeating an add (after a crash, by the sweeper) adds nothing.
 */
export function eventJobId(eventId: string, generation = 0): string {
  return generation === 0 ? `ev-${eventId}` : `ev-${eventId}-g${generation}`;
}

/** What the worker wrote into the job the moment a provider accepted its message. */
export interface JobSentRecord {
  provider: string;
  providerMessageId: string;
  /** ISO 8601. */
  at: string;
}

export interface EventJobV1 {
  v: 1;
  /** The event id (decimal string of the 64-bit id); the job id is eventJobId(id). */
  id: string;
  lane: Lane;
  /** When ingest accepted it (ISO 8601). */
  acceptedAt: string;
  /** The channel resolved from wishedChannel (default email). */
  channel: Channel;
  event: Omit<EventInput, 'wishedChannel'>;
  /**
   * The event's generation (0 or absent as accepted, +1 per re-drive). The fields below are
   * optional additions to v1: a worker that does not know them still delivers the job.
   */
  generation?: number;
  /** When the operator re-drove it (ISO 8601): the retry window starts again there. */
  redrivenAt?: string;
  /** Send attempts made so far that the provider answered with a retryable failure. */
  attempts?: number;
  /** Unexpected errors (database down, a bug) ridden out so far. */
  faults?: number;
  /**
   * Set by the worker right after a provider accepted the message, before the database
   * records it: a retry of this job records the send and never sends again.
   */
  sent?: JobSentRecord;
}
export type EventJob = EventJobV1;

/**
 * What a template sees of an event (@mc/render's RenderScope): the worker renders with it,
 * and the console's "message as sent" renders with it again, so the two cannot differ.
 */
export function eventRenderScope(event: EventJob['event'], eventId: string) {
  return {
    ctx: (event.ctx ?? {}) as Record<string, unknown>,
    email: event.email,
    mobilePhone: event.mobilePhone,
    externalId: event.externalId,
    origin: event.origin,
    locale: event.locale,
    type: event.type,
    eventId,
  };
}

/** Redis pub/sub channel on which a publish/unpublish/pause tells every worker to reload. */
export const TEMPLATE_CHANGES_CHANNEL = 'template-changes';

export function isEventJob(data: unknown): data is EventJob {
  if (typeof data !== 'object' || data === null) return false;
  const job = data as Partial<EventJobV1>;
  return (
    job.v === 1 &&
    typeof job.id === 'string' &&
    (job.lane === 'realtime' || job.lane === 'batch') &&
    typeof job.acceptedAt === 'string' &&
    typeof job.channel === 'string' &&
    typeof job.event === 'object' &&
    job.event !== null &&
    typeof job.event.type === 'string'
  );
}

/** Webhook deliveries: one job per webhook message (outbox row), consumed by the worker. */
export const WEBHOOKS_QUEUE = 'webhooks';
export const WEBHOOK_JOB = 'webhook';

export interface WebhookJobV1 {
  v: 1;
  /** The webhook message (outbox row) id, decimal string. */
  messageId: string;
}
export type WebhookJob = WebhookJobV1;

/**
 * The BullMQ job id of a webhook message: `wh-<id>` as written, `wh-<id>-r<n>` for the n-th
 * operator replay, so every enqueue of it (worker, relay, replay) is idempotent.
 */
export function webhookJobId(messageId: string | bigint, replays = 0): string {
  return replays === 0 ? `wh-${messageId}` : `wh-${messageId}-r${replays}`;
}

export function isWebhookJob(data: unknown): data is WebhookJob {
  return typeof data === 'object' && data !== null && (data as WebhookJob).v === 1 && typeof (data as WebhookJob).messageId === 'string';
}

/**
 * The BullMQ add() arguments of a webhook message's job, the same for every producer (the
 * worker after a settle, the relay, the API's test and replay): `retries` is the length of
 * WEBHOOK_RETRY_SCHEDULE; the waits come from the webhooks worker's backoff strategy.
 */
export function webhookJob(messageId: string | bigint, replays: number, retries: number) {
  return {
    name: WEBHOOK_JOB,
    data: { v: 1, messageId: String(messageId) } satisfies WebhookJob,
    opts: {
      jobId: webhookJobId(messageId, replays),
      attempts: retries + 1,
      backoff: { type: 'webhook' },
      // The delivery log is in Postgres; keep a window of jobs for the dashboard only.
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 7 * 86400, count: 10_000 },
    },
  };
}
