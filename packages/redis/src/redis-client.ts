/**
 * The one place Redis connections are made: one server (REDIS_URL) or a Redis Cluster
 * (REDIS_CLUSTER_NODES), from the config, for every role a process needs — the ingest's
 * fail-fast producer, the worker's BullMQ connection, the template-change subscriber. Callers
 * hold a `RedisClient` and never ask which kind it is, except where a cluster forbids
 * something (multi-slot pipelines: see `isCluster`).
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from '@mc/config';

/** A connection to one Redis server or to a Redis Cluster; BullMQ takes either. */
export type RedisClient = Redis | Cluster;

/**
 * What a connection is for, which decides how it behaves while Redis is away:
 * - `producer`: fails fast (no offline queue, one retry) so a request gets a 503 at once,
 *   connected explicitly (`lazyConnect`) by its owner;
 * - `worker`: BullMQ workers and blocking commands, retrying forever (`maxRetriesPerRequest:
 *   null`, BullMQ's requirement);
 * - `subscriber`: pub/sub, retrying forever like a worker connection.
 */
export type RedisRole = 'producer' | 'worker' | 'subscriber';

type RedisSettings = Pick<Config, 'redisUrl' | 'redisCluster' | 'redisTls'>;

/**
 * A worker's commands (BullMQ's job moves, the send-once record, the rate-limit gate) issued in
 * one turn of the event loop go out as one write: ioredis's auto-pipelining, per server (per
 * slot's node in a cluster). Blocking commands stay out of it: one would hold every command
 * queued behind it on the connection (BullMQ gives its blocking fetch a connection of its own,
 * a duplicate of this one, options included).
 */
const AUTO_PIPELINING = {
  enableAutoPipelining: true,
  autoPipeliningIgnoredCommands: ['bzpopmin', 'bzpopmax', 'blpop', 'brpop', 'brpoplpush', 'blmove', 'blmpop', 'bzmpop', 'xread', 'xreadgroup', 'wait'],
} as const;

function roleOptions(role: RedisRole): RedisOptions {
  if (role === 'producer') return { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true };
  return role === 'worker' ? { maxRetriesPerRequest: null, ...AUTO_PIPELINING, autoPipeliningIgnoredCommands: [...AUTO_PIPELINING.autoPipeliningIgnoredCommands] } : { maxRetriesPerRequest: null };
}

/**
 * The ioredis options for a role, apart from where to connect: `node` for a standalone server
 * (or each cluster node), `cluster` for the Cluster client itself (undefined without one).
 */
export function redisClientOptions(settings: RedisSettings, role: RedisRole): { node: RedisOptions; cluster?: ClusterOptions } {
  const { enableOfflineQueue, lazyConnect, enableAutoPipelining, autoPipeliningIgnoredCommands, ...perCommand } = roleOptions(role);
  const pipelining = enableAutoPipelining ? { enableAutoPipelining, autoPipeliningIgnoredCommands } : {};
  const tls = settings.redisTls ? { tls: {} } : {};
  const cluster = settings.redisCluster;
  if (!cluster) return { node: { ...perCommand, ...pipelining, ...tls, ...(enableOfflineQueue === false ? { enableOfflineQueue } : {}), ...(lazyConnect ? { lazyConnect } : {}) } };
  const node: RedisOptions = {
    ...perCommand,
    ...tls,
    ...(cluster.username !== undefined ? { username: cluster.username } : {}),
    ...(cluster.password !== undefined ? { password: cluster.password } : {}),
  };
  return {
    node,
    cluster: {
      redisOptions: node,
      // A cluster pipelines per node itself: the option belongs to the Cluster client.
      ...pipelining,
      ...(enableOfflineQueue === false ? { enableOfflineQueue } : {}),
      ...(lazyConnect ? { lazyConnect } : {}),
      // Managed clusters behind TLS announce host names their certificates are issued for;
      // resolving them to addresses first would fail the certificate check.
      ...(cluster.dnsPassthrough ? { dnsLookup: (address: string, callback: (err: Error | null, address: string) => void) => callback(null, address) } : {}),
    },
  };
}

/** A new connection for `role`, to the cluster when REDIS_CLUSTER_NODES is set, else REDIS_URL. */
export function createRedisClient(settings: RedisSettings, role: RedisRole): RedisClient {
  const options = redisClientOptions(settings, role);
  if (settings.redisCluster && options.cluster) {
    return new Cluster(settings.redisCluster.nodes.map(({ host, port }) => ({ host, port })), options.cluster);
  }
  return new Redis(settings.redisUrl, options.node);
}

/**
 * The servers that hold keys: the cluster's masters, or the one server. For what must run on
 * every node (SCAN for cleanup, INFO for figures) — a cluster routes a keyless command to one
 * node only.
 */
export function masterNodes(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}
