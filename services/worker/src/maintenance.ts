/**
 * Housekeeping on a schedule: every hour, finished events older than the retention period
 * are deleted (they hold personal data in their payload). A BullMQ job scheduler makes one
 * run per period happen once across all worker replicas.
 */
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { MAINTENANCE_QUEUE } from '@mc/contracts';
import type { EventsRepository } from '@mc/db';
import type { Logger } from '@mc/observability';

export const PURGE_EVERY_MS = 3_600_000;
const DAY_MS = 86_400_000;

export async function startMaintenance(options: {
  connection: Redis;
  prefix: string;
  retentionDays: number;
  events: Pick<EventsRepository, 'purgeFinishedBefore'>;
  logger: Logger;
  now?: () => number;
}): Promise<{ close(): Promise<void> }> {
  const queue = new Queue(MAINTENANCE_QUEUE, { connection: options.connection, prefix: options.prefix });
  if (options.retentionDays === 0) {
    await queue.removeJobScheduler('purge-events');
    await queue.close();
    return { close: async () => undefined };
  }
  await queue.upsertJobScheduler('purge-events', { every: PURGE_EVERY_MS }, { name: 'purge-events' });
  const now = options.now ?? Date.now;
  const worker = new Worker(
    MAINTENANCE_QUEUE,
    async () => {
      const cutoff = new Date(now() - options.retentionDays * DAY_MS);
      const deleted = await options.events.purgeFinishedBefore(cutoff);
      options.logger.info({ deleted, cutoff: cutoff.toISOString() }, 'retention: finished events purged');
      return { deleted };
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: 1,
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 100 },
    },
  );
  return {
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
