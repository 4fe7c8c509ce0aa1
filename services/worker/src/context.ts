/**
 * Everything the worker talks to, built once from the config: Postgres, Redis (queues,
 * template-change notices, shared rate limits) and the channel providers.
 */
import { Redis } from 'ioredis';
import { TEMPLATE_CHANGES_CHANNEL } from '@mc/contracts';
import type { Config } from '@mc/config';
import {
  createPrismaClient,
  EventTypesRepository,
  EventsRepository,
  SuppressionsRepository,
  TemplatesRepository,
  type PrismaClient,
} from '@mc/db';
import { createBreakerReporter, createChannelProviders, type ChannelProviders } from '@mc/channels';
import type { Logger, WorkerMetrics } from '@mc/observability';
import { createTemplateRoutes, type TemplateRoutes } from './template-routes';

export interface WorkerContext {
  prisma: PrismaClient;
  /** For BullMQ workers: blocking commands need maxRetriesPerRequest null. */
  connection: Redis;
  events: EventsRepository;
  suppressions: SuppressionsRepository;
  eventTypes: { find(key: string): Promise<{ id: number; maxAgeSeconds: number | null } | undefined> };
  routes: TemplateRoutes;
  providers: ChannelProviders;
  close(): Promise<void>;
}

export async function createWorkerContext(config: Readonly<Config>, logger: Logger, metrics?: WorkerMetrics): Promise<WorkerContext> {
  const prisma = createPrismaClient({ databaseUrl: config.databaseUrl });
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  connection.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  const subscriber = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
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

  return {
    prisma,
    connection,
    events: new EventsRepository(prisma),
    suppressions: new SuppressionsRepository(prisma),
    eventTypes,
    routes,
    providers,
    async close() {
      await providers.close();
      subscriber.disconnect();
      connection.disconnect();
      await prisma.$disconnect();
    },
  };
}
