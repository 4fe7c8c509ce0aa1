/**
 * Everything the worker talks to, built once from the config: Postgres, Redis (queues,
 * template-change notices, shared rate limits) and the channel providers.
 */
import { Queue } from 'bullmq';
import { TEMPLATE_CHANGES_CHANNEL, WEBHOOKS_QUEUE, singleQueueName, webhookJob } from '@mc/contracts';
import { createRedisClient, type RedisClient } from '@mc/redis';
import type { Config } from '@mc/config';
import {
  createPrismaClient,
  EventTypesRepository,
  EventsRepository,
  SuppressionsRepository,
  TemplatesRepository,
  WebhooksRepository,
  type PrismaClient,
} from '@mc/db';
import { createBreakerReporter, createChannelProviders, type ChannelProviders } from '@mc/channels';
import type { Logger, WorkerMetrics } from '@mc/observability';
import { createTemplateRoutes, type TemplateRoutes } from './template-routes';

export interface WorkerContext {
  prisma: PrismaClient;
  /** For BullMQ workers: blocking commands need maxRetriesPerRequest null. */
  connection: RedisClient;
  events: EventsRepository;
  suppressions: SuppressionsRepository;
  eventTypes: { find(key: string): Promise<{ id: number; maxAgeSeconds: number | null } | undefined> };
  routes: TemplateRoutes;
  providers: ChannelProviders;
  webhooks: WebhooksRepository;
  /** Producer side of the webhooks queue (the settle's messages are enqueued right away). */
  webhookQueue: Queue;
  close(): Promise<void>;
}

/** How long the enqueue after a settle may take before it is left to the outbox relay. */
const WEBHOOK_ENQUEUE_TIMEOUT_MS = 2000;

export async function createWorkerContext(config: Readonly<Config>, logger: Logger, metrics?: WorkerMetrics): Promise<WorkerContext> {
  const prisma = createPrismaClient({ databaseUrl: config.databaseUrl });
  const connection = createRedisClient(config, 'worker');
  connection.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  // In a cluster the subscriber sits on one node; PUBLISH reaches every node's subscribers.
  const subscriber = createRedisClient(config, 'subscriber');
  subscriber.on('error', (error) => logger.warn({ err: error }, 'redis subscriber error'));

  const templates = new TemplatesRepository(prisma);
  const routes = createTemplateRoutes({
    findRoute: (eventTypeId, channel, locales) => templates.findRoute(eventTypeId, channel, locales),
    ttlMs: config.worker.templateCacheMs,
  });
  const changes = `${config.queuePrefix}:${TEMPLATE_CHANGES_CHANNEL}`;
  await subscriber.subscribe(changes);
  subscriber.on('message', (_channel, message) => {
    try {
      const { eventTypeId } = JSON.parse(message) as { eventTypeId?: number };
      routes.invalidate(typeof eventTypeId === 'number' ? eventTypeId : undefined);
    } catch {
      routes.invalidate();
    }
  });
  // A reconnect may have missed notices: start from a clean cache.
  subscriber.on('ready', () => routes.invalidate());

  const eventTypesRepo = new EventTypesRepository(prisma);
  const typeCache = new Map<string, { at: number; row: Promise<{ id: number; maxAgeSeconds: number | null } | undefined> }>();
  const eventTypes = {
    find(key: string) {
      const hit = typeCache.get(key);
      if (hit && Date.now() - hit.at < 10_000) return hit.row;
      const row = eventTypesRepo.find(key).then((t) => (t ? { id: t.id, maxAgeSeconds: t.maxAgeSeconds } : undefined));
      typeCache.set(key, { at: Date.now(), row });
      row.catch(() => typeCache.delete(key));
      return row;
    },
  };

  // One log line and one metric per breaker change, not one per held event.
  const providers = createChannelProviders(config, connection, { onBreaker: createBreakerReporter({ logger, metrics }) });

  const webhookQueue = new Queue(singleQueueName(WEBHOOKS_QUEUE, config.queues), { connection, prefix: config.queuePrefix });
  const retries = config.webhooks.retryScheduleMs.length;
  // Right after the status change, so a webhook leaves within moments; should Redis not take
  // it, the rows stay pending in the outbox and the maintenance relay enqueues them later.
  const onWebhookMessages = async (ids: bigint[]) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        webhookQueue.addBulk(ids.map((id) => webhookJob(id, 0, retries))),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('webhook enqueue timed out')), WEBHOOK_ENQUEUE_TIMEOUT_MS))),
      ]);
    } catch (error) {
      logger.warn({ err: error, count: ids.length }, 'webhook messages left to the outbox relay');
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    prisma,
    connection,
    events: new EventsRepository(prisma, { onWebhookMessages }),
    webhooks: new WebhooksRepository(prisma),
    webhookQueue,
    suppressions: new SuppressionsRepository(prisma),
    eventTypes,
    routes,
    providers,
    async close() {
      await providers.close();
      await webhookQueue.close().catch(() => undefined);
      subscriber.disconnect();
      connection.disconnect();
      await prisma.$disconnect();
    },
  };
}
