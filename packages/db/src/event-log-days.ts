/**
 * The event log's partitions: `events` and `deliveries` are range-partitioned by event id, one
 * partition per UTC day (migration 20261130120000_partitioned_event_log). An event id starts
 * with its milliseconds since the id epoch, so a day is an id range; this module holds that
 * arithmetic and the partitions' names, shared by the maintenance job and the tests.
 */
import { EVENT_ID_EPOCH_MS, firstEventIdAt } from '@mc/core';
import type { PartitioningShape } from './schema-shape';

const DAY_MS = 86_400_000;

/** The partitioned tables of the event log and their partition key (deliveries follow events). */
export const EVENT_LOG_TABLES = [
  { table: 'events', key: 'id' },
  { table: 'deliveries', key: 'eventId' },
] as const;

/** The partitioning the drift test expects of the event log's tables (Prisma does not model it). */
export const EVENT_LOG_PARTITIONING: Readonly<Record<string, PartitioningShape>> = Object.fromEntries(
  EVENT_LOG_TABLES.map(({ table, key }) => [table, { strategy: 'range', columns: [key], defaultPartition: true }]),
);

/** How many days after today the maintenance job keeps partitions ready (the migration made as many). */
export const PARTITION_DAYS_AHEAD = 2;

export interface EventLogDay {
  /** Days since the id epoch (2024-01-01 UTC). */
  index: number;
  /** `YYYYMMDD`: the partitions are `events_p<suffix>` and `deliveries_p<suffix>`. */
  suffix: string;
  /** The first id of the day. */
  from: bigint;
  /** The first id of the next day (exclusive bound). */
  to: bigint;
}

/** The UTC day `time` falls in. */
export function dayOf(time: Date | number): EventLogDay {
  const ms = typeof time === 'number' ? time : time.getTime();
  return dayAt(Math.floor((ms - EVENT_ID_EPOCH_MS) / DAY_MS));
}

export function dayAt(index: number): EventLogDay {
  const start = EVENT_ID_EPOCH_MS + index * DAY_MS;
  return {
    index,
    suffix: new Date(start).toISOString().slice(0, 10).replaceAll('-', ''),
    from: firstEventIdAt(start),
    to: firstEventIdAt(start + DAY_MS),
  };
}

export const partitionName = (table: string, day: Pick<EventLogDay, 'suffix'>): string => `${table}_p${day.suffix}`;
export const defaultPartitionName = (table: string): string => `${table}_default`;

/**
 * A partition's bounds as `pg_get_expr(relpartbound, oid)` prints them:
 * `FOR VALUES FROM ('123') TO ('456')`; undefined for `DEFAULT` (or anything else).
 */
export function parseRangeBound(expression: string): { from: bigint; to: bigint } | undefined {
  const match = /^FOR VALUES FROM \('?(\d+)'?\) TO \('?(\d+)'?\)$/.exec(expression.trim());
  return match ? { from: BigInt(match[1]!), to: BigInt(match[2]!) } : undefined;
}
