/**
 * Everything the ingest service talks to, built once from the config and closed on shutdown:
 * Postgres (Prisma), Redis (BullMQ queues, idempotency keys, template-change notices).
 */
import { Queue } from 'bullmq';
import { DomainError, EventIdGenerator, pushEndpointCheck, createSecretBox, type SecretBox } from '@mc/core';
import { MAINTENANCE_QUEUE, TEMPLATE_CHANGES_CHANNEL, WEBHOOKS_QUEUE, singleQueueName, webhookJob } from '@mc/contracts';
import { allLaneQueues, createLaneQueues, createRedisClient, type LaneQueues, type RedisClient } from '@mc/redis';
import type { Config } from '@mc/config';
import {
  createPrismaClient,
  ApiKeysRepository,
  EventTypesRepository,
  EventsRepository,
  TemplatesRepository,
  SuppressionsRepository,
  ProofsRepository,
  AuditLogRepository,
  WebhooksRepository,
  type PrismaClient,
} from '@mc/db';
import type { ChannelProviders } from '@mc/channels';
import { loadChannels } from './lazy-modules';
import type { Logger, IngestMetrics } from '@mc/observability';
import { createEventTypeCatalog, type EventTypeCatalog } from './events/event-type-catalog';
import { EventIntake } from './events/event-intake';
import { createKeyStore, type KeyStore } from './plugins/auth';
import { AuthFailureThrottle } from './plugins/auth-failure-throttle';
import { exportQueueMetrics } from './ops/queue-metrics';

export interface IngestContext {
  config: Readonly<Config>;
  prisma: PrismaClient;
  redis: RedisClient;
  /** Every shard's queue of each lane (an event's is `queueOfEvent(queues, lane, id)`). */
  queues: LaneQueues;
  eventTypes: EventTypesRepository;
  templates: TemplatesRepository;
  events: EventsRepository;
  apiKeys: ApiKeysRepository;
  suppressions: SuppressionsRepository;
  proofs: ProofsRepository;
  /** Admin changes, recorded through recordAudit (audit/audit-trail.ts). */
  audit: AuditLogRepository;
  /** Channel providers for proofs, made on first use (most ingest replicas never send one). */
  providers(): Promise<ChannelProviders>;
  catalog: EventTypeCatalog;
  intake: EventIntake;
  keys: KeyStore;
  /** Failed authentications per client address (AUTH_FAILURE_LIMIT), shared through Redis. */
  authFailures: AuthFailureThrottle;
  webhooks: WebhooksRepository;
  /** Seals and opens webhook secrets; undefined when no SECRETS_KEY is configured. */
  secretBox: SecretBox | undefined;
  /**
   * Enqueues webhook messages (their jobs are idempotent). A failure is logged, not thrown: the
   * rows are in the outbox, and the worker's relay enqueues them after its grace period.
   */
  enqueueWebhooks(messages: readonly { id: bigint; replays: number }[]): Promise<void>;
  /** Tells every worker that what is published for an event type changed. */
  announceTemplateChange(change: { eventTypeId: number }): Promise<void>;
  /** BullMQ's Prometheus text for every queue (every lane shard, webhooks, maintenance), merged. */
  queueMetrics(): Promise<string>;
  close(): Promise<void>;
}

export async function createIngestContext(
  config: Readonly<Config>,
  logger: Logger,
  metrics?: IngestMetrics,
): Promise<IngestContext> {
  const prisma = createPrismaClient({ databaseUrl: config.databaseUrl });
  // Producers fail fast when Redis is down (no offline queue), so a request gets a 503 at once
  // instead of hanging, and never a 202 for an event that was not stored.
  const redis = createRedisClient(config, 'producer');
  redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  await redis.connect().catch((error) => logger.warn({ err: error }, 'redis not reachable at start-up'));

  const queues = createLaneQueues(redis, config.queuePrefix, config.queues);
  // Without a listener BullMQ prints connection errors itself; the connection's own handler
  // above already logs them.
  for (const queue of allLaneQueues(queues)) queue.on('error', () => undefined);

  const eventTypes = new EventTypesRepository(prisma);
  const apiKeys = new ApiKeysRepository(prisma);
  // A database fault while judging an event is the service's, not the caller's: 503, never 500.
  const catalog = createEventTypeCatalog((key) =>
    eventTypes.find(key).then(
      (row) => row ?? null,
      (error: unknown) => {
        logger.error({ err: error }, 'event-type lookup failed; answered unavailable');
        throw new DomainError('unavailable', 'The database is unreachable; nothing was stored. Retry later.');
      },
    ),
  );
  // A node id per process from a Redis counter keeps ids unique across ingest replicas.
  const nodeId = redis.status === 'ready' ? (await redis.incr(`${config.queuePrefix}:id-node`)) % 1024 : Math.floor(Math.random() * 1024);
  // Children bound once per lane: inc() with a labels object hashed the labels on every request.
  const acceptedByLane = metrics && {
    realtime: metrics.eventsAccepted.labels({ lane: 'realtime' }),
    batch: metrics.eventsAccepted.labels({ lane: 'batch' }),
  };
  const intake = new EventIntake({
    queues,
    redis,
    catalog,
    ids: new EventIdGenerator(nodeId),
    keyPrefix: config.queuePrefix,
    idempotencyTtlSeconds: config.ingest.idempotencyTtlSeconds,
    attempts: {
      email: config.worker.retry.email.attempts,
      sms: config.worker.retry.sms.attempts,
      push: config.worker.retry.push.attempts,
    },
    ratePerScope: config.ingest.ratePerKey,
    // A push endpoint the worker would refuse to reach is refused at the door (422) instead.
    checkPushEndpoint: pushEndpointCheck(config.outbound),
    onEnqueueError: (error) => logger.error({ err: error }, 'enqueue failed; answered unavailable'),
    onAccepted: (lane, count) => acceptedByLane?.[lane].inc(count),
  });

  const webhookQueue = new Queue(singleQueueName(WEBHOOKS_QUEUE, config.queues), { connection: redis, prefix: config.queuePrefix });
  webhookQueue.on('error', () => undefined);
  const enqueueWebhooks = async (messages: readonly { id: bigint; replays: number }[]) => {
    try {
      await webhookQueue.addBulk(messages.map((m) => webhookJob(m.id, m.replays, config.webhooks.retryScheduleMs.length)));
    } catch (error) {
      logger.warn({ err: error, count: messages.length }, 'webhook messages left to the outbox relay');
    }
  };

  // Read only here (its jobs are the workers'): its depth belongs on /metrics with the others.
  const maintenanceQueue = new Queue(singleQueueName(MAINTENANCE_QUEUE, config.queues), { connection: redis, prefix: config.queuePrefix });
  maintenanceQueue.on('error', () => undefined);

  let providers: Promise<ChannelProviders> | undefined;
  return {
    config,
    prisma,
    redis,
    queues,
    eventTypes,
    templates: new TemplatesRepository(prisma),
    // Feedback (bounces, complaints) recorded here writes webhook messages: enqueue them now.
    events: new EventsRepository(prisma, { onWebhookMessages: (ids) => enqueueWebhooks(ids.map((id) => ({ id, replays: 0 }))) }),
    webhooks: new WebhooksRepository(prisma),
    secretBox: config.secretsKey ? createSecretBox(Buffer.from(config.secretsKey, 'base64')) : undefined,
    enqueueWebhooks,
    apiKeys,
    suppressions: new SuppressionsRepository(prisma),
    proofs: new ProofsRepository(prisma),
    audit: new AuditLogRepository(prisma),
    providers: () => (providers ??= loadChannels().then(({ createChannelProviders }) => createChannelProviders(config))),
    catalog,
    intake,
    keys: createKeyStore({
      adminKey: config.adminKey,
      ingestKey: config.ingestKey,
      findActiveByHash: (hash) => apiKeys.findActiveByHash(hash),
      touch: (id) => apiKeys.touch(id),
      onError: (error) => logger.error({ err: error }, 'API key lookup failed; answered unavailable'),
    }),
    authFailures: new AuthFailureThrottle({
      redis,
      keyPrefix: config.queuePrefix,
      limit: config.ingest.authFailureLimit,
      onRedisError: (error) => logger.warn({ err: error }, 'auth failures cannot be counted in Redis; counting in this process'),
    }),
    async announceTemplateChange(change) {
      // A cluster forwards a PUBLISH to every node, so each worker's subscriber hears it,
      // whichever node it is connected to.
      await redis.publish(`${config.queuePrefix}:${TEMPLATE_CHANGES_CHANNEL}`, JSON.stringify(change));
    },
    queueMetrics: () => exportQueueMetrics([...allLaneQueues(queues), webhookQueue, maintenanceQueue]),
    async close() {
      await (await providers)?.close();
      await Promise.all([...allLaneQueues(queues).map((q) => q.close()), webhookQueue.close(), maintenanceQueue.close()]);
      redis.disconnect();
      await prisma.$disconnect();
    },
  };
}
