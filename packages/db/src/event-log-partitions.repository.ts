/**
 * Keeps the partitioned event log in shape (see event-log-days.ts): the worker's maintenance
 * job creates each day's partitions ahead of time, moves rows that landed in the default
 * partition into their day when it is created, and retires old days by detaching and dropping
 * them — a constant-time DROP TABLE where a DELETE would rewrite every row and leave bloat.
 *
 * `events` and `deliveries` always change together, one day at a time, in one transaction: a
 * day's deliveries are in the partition of the same day as their event, and the foreign key
 * between them stays checked. Each transaction locks both tables against writes
 * (SHARE ROW EXCLUSIVE: reads go on) so no row changes while it is moved; `lock_timeout`
 * keeps the job from queueing writers behind it when a long statement holds the tables — the
 * next run tries again.
 */
import { OPEN_STATUSES, eventIdTime, firstEventIdAt } from '@mc/core';
import type { PrismaClient } from './generated/prisma/client';
import { quoteIdent } from './connection';
import {
  EVENT_LOG_TABLES,
  dayAt,
  dayOf,
  defaultPartitionName,
  parseRangeBound,
  partitionName,
  type EventLogDay,
} from './event-log-days';

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

export interface EventLogPartition {
  name: string;
  from: bigint;
  to: bigint;
}

export interface RetentionResult {
  /** The days whose partitions were dropped (`YYYYMMDD`). */
  droppedDays: string[];
  /** Open events (and their deliveries) moved out of dropped days into the default partition. */
  keptEvents: number;
  /** Finished events past retention deleted from the default partition. */
  deletedFromDefault: number;
}

export interface EventLogPartitionsOptions {
  /** How long a maintenance statement waits for its locks before giving up (until the next run). @defaultValue 5000 */
  lockTimeoutMs?: number;
}

const DAY_MS = 86_400_000;
const OPEN_STATUS_LIST = [...OPEN_STATUSES].map((s) => `'${s}'`).join(', ');

export class EventLogPartitionsRepository {
  private readonly lockTimeoutMs: number;

  constructor(
    private readonly prisma: PrismaClient,
    options: EventLogPartitionsOptions = {},
  ) {
    this.lockTimeoutMs = options.lockTimeoutMs ?? 5000;
  }

  /** The day partitions of `table` (the default partition aside), oldest first. */
  async list(table: 'events' | 'deliveries' = 'events'): Promise<EventLogPartition[]> {
    const rows = await this.prisma.$queryRawUnsafe<{ name: string; bound: string }[]>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = $1::regclass`,
      quoteIdent(table),
    );
    return rows
      .flatMap((row) => {
        const bound = parseRangeBound(row.bound);
        return bound ? [{ name: row.name, ...bound }] : [];
      })
      .sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  }

  /**
   * Makes sure the partitions of the day of `now` and of the `daysAhead` days after it exist,
   * and those of earlier days (from `keepSince` on, when given) whose rows sit in the default
   * partition — written while no partition of their day existed. Rows of a day already in the
   * default partition are moved into it as it is created. Idempotent, and safe with several
   * workers running it at once.
   *
   * Days before `keepSince` are left alone: retention is about to drop them, and their rows in
   * the default partition are the open events it keeps there.
   */
  async ensureDays(
    now: Date,
    daysAhead: number,
    keepSince?: Date,
  ): Promise<{ createdDays: string[]; movedFromDefault: number }> {
    const existing = new Set((await this.list()).map((p) => p.name));
    const today = dayOf(now).index;
    const days: EventLogDay[] = [];
    for (const index of await this.pastDaysInDefault(today, keepSince)) days.push(dayAt(index));
    for (let index = today; index <= today + daysAhead; index++) days.push(dayAt(index));
    const createdDays: string[] = [];
    let movedFromDefault = 0;
    for (const day of days) {
      if (existing.has(partitionName('events', day))) continue;
      const moved = await this.createDay(day);
      if (moved === undefined) continue;
      createdDays.push(day.suffix);
      movedFromDefault += moved;
    }
    return { createdDays, movedFromDefault };
  }

  /**
   * Days before `today` (and from `keepSince` on) with rows in the default partition: a skip
   * scan over its primary key, one index probe per day found.
   */
  private async pastDaysInDefault(today: number, keepSince: Date | undefined): Promise<number[]> {
    const from = keepSince ? dayOf(keepSince).from : 0n;
    const to = dayAt(today).from;
    const rows = await this.prisma.$queryRawUnsafe<{ day: number }[]>(
      `WITH RECURSIVE found AS (
         SELECT (SELECT min("id") FROM ${quoteIdent(defaultPartitionName('events'))} WHERE "id" >= ${from} AND "id" < ${to}) AS id
         UNION ALL
         SELECT (SELECT min("id") FROM ${quoteIdent(defaultPartitionName('events'))}
                  WHERE "id" >= ((((found.id >> 22) / ${DAY_MS}) + 1) * ${DAY_MS}) << 22 AND "id" < ${to})
         FROM found WHERE found.id IS NOT NULL)
       SELECT ((id >> 22) / ${DAY_MS})::int AS day FROM found WHERE id IS NOT NULL`,
    );
    return rows.map((r) => r.day);
  }

  /**
   * Creates one day's partitions, moving its rows out of the default partitions first (Postgres
   * refuses a partition whose rows sit in the default one). Returns how many events moved, or
   * undefined when another run created the day meanwhile.
   */
  async createDay(day: EventLogDay): Promise<number | undefined> {
    return this.prisma.$transaction(
      async (tx) => {
        await this.lockEventLog(tx);
        const [{ exists } = { exists: false }] = await tx.$queryRawUnsafe<{ exists: boolean }[]>(
          'SELECT to_regclass($1) IS NOT NULL AS exists',
          quoteIdent(partitionName('events', day)),
        );
        if (exists) return undefined;
        let moved = 0;
        // Deliveries first: once their rows are out, deleting the events cascades to nothing.
        for (const { table, key } of [...EVENT_LOG_TABLES].reverse()) {
          const partition = quoteIdent(partitionName(table, day));
          const columns = await columnList(tx, table);
          await tx.$executeRawUnsafe(`CREATE TABLE ${partition} (LIKE ${quoteIdent(table)} INCLUDING DEFAULTS)`);
          const count = await tx.$executeRawUnsafe(
            `WITH moved AS (
               DELETE FROM ${quoteIdent(defaultPartitionName(table))}
                WHERE ${quoteIdent(key)} >= ${day.from} AND ${quoteIdent(key)} < ${day.to}
               RETURNING ${columns})
             INSERT INTO ${partition} (${columns}) SELECT ${columns} FROM moved`,
          );
          if (table === 'events') moved = count;
        }
        // Events first: attaching the deliveries checks their foreign key against it.
        for (const { table } of EVENT_LOG_TABLES) {
          await tx.$executeRawUnsafe(
            `ALTER TABLE ${quoteIdent(table)} ATTACH PARTITION ${quoteIdent(partitionName(table, day))}
               FOR VALUES FROM (${day.from}) TO (${day.to})`,
          );
        }
        return moved;
      },
      { timeout: 120_000, maxWait: 10_000 },
    );
  }

  /**
   * Retention: drops every day that ended by `cutoff`, keeping its open events (pending,
   * processing — their jobs still run) and their deliveries, which move to the default
   * partition; then deletes finished events older than `cutoff` from the default partition
   * (rows kept earlier, or written late for a day already gone), in batches.
   */
  async retainSince(cutoff: Date, batchSize = 5000): Promise<RetentionResult> {
    const firstKeptDay = dayOf(cutoff);
    // A day is dropped whole, once all of it is past retention.
    const oldDays = (await this.list('events')).filter((p) => p.to <= firstKeptDay.from);
    // Paired by bounds, not by name: the pair is what must leave together.
    const deliveriesByBounds = new Map((await this.list('deliveries')).map((p) => [`${p.from}-${p.to}`, p]));
    const droppedDays: string[] = [];
    let keptEvents = 0;
    for (const events of oldDays) {
      const deliveries = deliveriesByBounds.get(`${events.from}-${events.to}`);
      if (!deliveries) {
        throw new Error(
          `event log partition ${events.name} has no deliveries partition with the same bounds; ` +
            'retention stops here rather than guess (create or attach the matching deliveries partition)',
        );
      }
      keptEvents += await this.dropDay(events.name, deliveries.name);
      droppedDays.push(dayOf(eventIdTime(events.from)).suffix);
    }
    const cutoffId = firstEventIdAt(cutoff);
    const defaultEvents = quoteIdent(defaultPartitionName('events'));
    let deletedFromDefault = 0;
    for (;;) {
      const deleted = await this.prisma.$executeRawUnsafe(
        `DELETE FROM ${defaultEvents} WHERE "id" IN (
           SELECT "id" FROM ${defaultEvents}
            WHERE "id" < ${cutoffId} AND "status" NOT IN (${OPEN_STATUS_LIST})
            LIMIT ${batchSize})`,
      );
      deletedFromDefault += deleted;
      if (deleted < batchSize) break;
    }
    return { droppedDays, keptEvents, deletedFromDefault };
  }

  /** Detaches and drops one day's partitions, moving its open events out first. Returns how many moved. */
  private async dropDay(eventsPartition: string, deliveriesPartition: string): Promise<number> {
    return this.prisma.$transaction(
      async (tx) => {
        await this.lockEventLog(tx);
        const events = quoteIdent(eventsPartition);
        const deliveries = quoteIdent(deliveriesPartition);
        // Deliveries first: a detached partition keeps its own copy of the foreign key, which
        // would then forbid detaching the events it references; it is dropped with the day anyway.
        await tx.$executeRawUnsafe(`ALTER TABLE "deliveries" DETACH PARTITION ${deliveries}`);
        const foreignKeys = await tx.$queryRawUnsafe<{ name: string }[]>(
          // (Its clones per referenced partition, conparentid <> 0, go with it.)
          `SELECT conname AS name FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f' AND conparentid = 0`,
          deliveries,
        );
        for (const { name } of foreignKeys) {
          await tx.$executeRawUnsafe(`ALTER TABLE ${deliveries} DROP CONSTRAINT ${quoteIdent(name)}`);
        }
        await tx.$executeRawUnsafe(`ALTER TABLE "events" DETACH PARTITION ${events}`);
        // No partition covers the day any more: through the parent, the kept rows land in the default one.
        const eventColumns = await columnList(tx, 'events');
        const kept = await tx.$executeRawUnsafe(
          `INSERT INTO "events" (${eventColumns})
           SELECT ${eventColumns} FROM ${events} WHERE "status" IN (${OPEN_STATUS_LIST})`,
        );
        if (kept > 0) {
          const deliveryColumns = await columnList(tx, 'deliveries');
          await tx.$executeRawUnsafe(
            `INSERT INTO "deliveries" (${deliveryColumns})
             SELECT ${deliveryColumns} FROM ${deliveries} d
              WHERE EXISTS (SELECT 1 FROM ${events} e WHERE e."id" = d."eventId" AND e."status" IN (${OPEN_STATUS_LIST}))`,
          );
        }
        await tx.$executeRawUnsafe(`DROP TABLE ${deliveries}`);
        await tx.$executeRawUnsafe(`DROP TABLE ${events}`);
        return kept;
      },
      { timeout: 120_000, maxWait: 10_000 },
    );
  }

  private async lockEventLog(tx: Tx): Promise<void> {
    await tx.$executeRawUnsafe(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(this.lockTimeoutMs))}`);
    await tx.$executeRawUnsafe('LOCK TABLE "events", "deliveries" IN SHARE ROW EXCLUSIVE MODE');
  }
}

/** The table's columns, quoted, in the parent's order: partitions may order them differently. */
async function columnList(tx: Tx, table: string): Promise<string> {
  const rows = await tx.$queryRawUnsafe<{ name: string }[]>(
    `SELECT attname AS name FROM pg_attribute
      WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    quoteIdent(table),
  );
  return rows.map((r) => quoteIdent(r.name)).join(', ');
}
