/**
 * Events and their deliveries. The worker writes an event's row when it first takes the job
 * and again when the event ends; the API reads them back.
 */
import type { Channel, EventStatus, Lane } from '@mc/core';
import type { PrismaClient, Event, Delivery } from './generated/prisma/client';
import { Prisma } from './generated/prisma/client';

export interface DeliveryRecord {
  channel: Channel;
  provider: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  providerMessageId: string | null;
  error: string | null;
  sentAt: Date | null;
  attemptLog: AttemptEntry[];
}

export interface AttemptEntry {
  at: string;
  provider: string;
  outcome: string;
  error?: string;
}

export interface EventRecord {
  id: bigint;
  type: string;
  lane: Lane;
  status: EventStatus;
  reason: string | null;
  channel: Channel | null;
  externalId: string | null;
  origin: string | null;
  locale: string | null;
  payload: Record<string, unknown>;
  scheduledAt: Date | null;
  expiresAt: Date | null;
  nextAttemptAt: Date | null;
  templateVersion: number | null;
  createdAt: Date;
  updatedAt: Date;
  deliveries: DeliveryRecord[];
}

type EventRow = Event & { deliveries: Delivery[]; templateVersion: { version: number } | null };

const toDelivery = (row: Delivery): DeliveryRecord => ({
  channel: row.channel,
  provider: row.provider,
  status: row.status,
  attempts: row.attempts,
  providerMessageId: row.providerMessageId,
  error: row.error,
  sentAt: row.sentAt,
  attemptLog: row.attemptLog as unknown as AttemptEntry[],
});

const toEvent = (row: EventRow): EventRecord => ({
  id: row.id,
  type: row.type,
  lane: row.lane,
  status: row.status,
  reason: row.reason,
  channel: row.channel,
  externalId: row.externalId,
  origin: row.origin,
  locale: row.locale,
  payload: row.payload as Record<string, unknown>,
  scheduledAt: row.scheduledAt,
  expiresAt: row.expiresAt,
  nextAttemptAt: row.nextAttemptAt,
  templateVersion: row.templateVersion?.version ?? null,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
  deliveries: row.deliveries.map(toDelivery),
});

const include = {
  deliveries: { orderBy: { id: 'asc' as const } },
  templateVersion: { select: { version: true } },
};

export interface NewEvent {
  id: bigint;
  eventTypeId: number;
  type: string;
  lane: Lane;
  channel: Channel;
  externalId?: string;
  origin?: string;
  locale?: string;
  payload: Record<string, unknown>;
  scheduledAt?: Date;
  expiresAt?: Date;
  createdAt: Date;
  /** The channel address as the suppression list stores it (see suppressionAddress). */
  suppressionAddress?: string;
}

export interface EventQuery {
  type?: string;
  status?: EventStatus;
  externalId?: string;
  since?: Date;
  until?: Date;
  limit: number;
  /** Id of the last event of the previous page (pages go newest first). */
  before?: bigint;
}

export class EventsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Marks the event as held by a worker, creating its row on first sight. Returns the
   * delivery already recorded for this channel, so a retried job can see an earlier send.
   * Hot path: one raw statement, no ORM query planning per message.
   */
  async begin(event: NewEvent): Promise<{
    delivery: Pick<DeliveryRecord, 'status' | 'provider' | 'attempts'> | undefined;
    /** The suppression entry's reason when `suppressionAddress` is on the list. */
    suppressedReason: string | undefined;
  }> {
    const rows = await this.prisma.$queryRaw<
      { status: DeliveryRecord['status'] | null; provider: string | null; attempts: number | null; suppressed: string | null }[]
    >`
      WITH upserted AS (
        INSERT INTO "events" ("id", "eventTypeId", "type", "lane", "status", "channel", "externalId", "origin",
                              "locale", "payload", "scheduledAt", "expiresAt", "createdAt", "updatedAt")
        VALUES (${event.id}, ${event.eventTypeId}, ${event.type}, ${event.lane}::"Lane", 'processing',
                ${event.channel}::"Channel", ${event.externalId ?? null}, ${event.origin ?? null}, ${event.locale ?? null},
                ${JSON.stringify(event.payload)}::jsonb, ${event.scheduledAt ?? null}, ${event.expiresAt ?? null},
                ${event.createdAt}, now())
        ON CONFLICT ("id") DO UPDATE SET
          "status" = 'processing', "reason" = NULL, "nextAttemptAt" = NULL,
          "channel" = EXCLUDED."channel", "updatedAt" = now()
        RETURNING "id"
      )
      SELECT d."status"::text AS status, d."provider", d."attempts",
             (SELECT s."reason" FROM "suppressions" s
               WHERE s."channel" = ${event.channel}::"Channel" AND s."address" = ${event.suppressionAddress ?? null}) AS suppressed
      FROM (SELECT 1) AS one
      LEFT JOIN "deliveries" d ON d."eventId" = ${event.id} AND d."channel" = ${event.channel}::"Channel"`;
    const row = rows[0];
    return {
      delivery: row?.status ? { status: row.status, provider: row.provider!, attempts: row.attempts! } : undefined,
      suppressedReason: row?.suppressed ?? undefined,
    };
  }

  /**
   * Ends the event (or parks it as pending) and records the attempt on its delivery row, in
   * one statement: the status and the delivery log never disagree.
   */
  async settle(
    id: bigint,
    outcome: {
      status: EventStatus;
      reason?: string;
      nextAttemptAt?: Date;
      templateVersionId?: number;
      attempt?: {
        channel: Channel;
        provider: string;
        deliveryStatus: 'pending' | 'sent' | 'failed';
        entry: AttemptEntry;
        providerMessageId?: string;
        error?: string;
      };
    },
  ): Promise<void> {
    const updateEvent = Prisma.sql`
      UPDATE "events" SET
        "status" = ${outcome.status}::"EventStatus",
        "reason" = ${outcome.reason ?? null},
        "nextAttemptAt" = ${outcome.nextAttemptAt ?? null},
        "templateVersionId" = COALESCE(${outcome.templateVersionId ?? null}::integer, "templateVersionId"),
        "updatedAt" = now()
      WHERE "id" = ${id}`;
    const attempt = outcome.attempt;
    if (!attempt) {
      await this.prisma.$executeRaw(updateEvent);
      return;
    }
    const sentAt = attempt.deliveryStatus === 'sent' ? new Date() : null;
    // Appends to the attempt log and counts the attempt, whatever the row held before.
    await this.prisma.$executeRaw`
      WITH updated AS (${updateEvent} RETURNING "id")
      INSERT INTO "deliveries" ("eventId", "channel", "provider", "status", "attempts", "attemptLog",
                                "providerMessageId", "error", "sentAt", "updatedAt")
      VALUES (${id}, ${attempt.channel}::"Channel", ${attempt.provider}, ${attempt.deliveryStatus}::"DeliveryStatus", 1,
              jsonb_build_array(${JSON.stringify(attempt.entry)}::jsonb),
              ${attempt.providerMessageId ?? null}, ${attempt.error ?? null}, ${sentAt}, now())
      ON CONFLICT ("eventId", "channel") DO UPDATE SET
        "provider" = EXCLUDED."provider",
        "status" = EXCLUDED."status",
        "attempts" = "deliveries"."attempts" + 1,
        "attemptLog" = "deliveries"."attemptLog" || EXCLUDED."attemptLog",
        "providerMessageId" = COALESCE(EXCLUDED."providerMessageId", "deliveries"."providerMessageId"),
        "error" = EXCLUDED."error",
        "sentAt" = COALESCE(EXCLUDED."sentAt", "deliveries"."sentAt"),
        "updatedAt" = now()`;
  }

  async find(id: bigint): Promise<EventRecord | undefined> {
    const row = await this.prisma.event.findUnique({ where: { id }, include });
    return row ? toEvent(row) : undefined;
  }

  async list(query: EventQuery): Promise<EventRecord[]> {
    const rows = await this.prisma.event.findMany({
      where: {
        ...(query.type ? { type: query.type } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.externalId ? { externalId: query.externalId } : {}),
        ...(query.since || query.until
          ? { createdAt: { ...(query.since ? { gte: query.since } : {}), ...(query.until ? { lt: query.until } : {}) } }
          : {}),
        ...(query.before ? { id: { lt: query.before } } : {}),
      },
      include,
      orderBy: { id: 'desc' },
      take: query.limit,
    });
    return rows.map(toEvent);
  }

  /**
   * Deletes finished events created before `cutoff` (their deliveries go with them), in
   * batches so a large backlog never holds one long transaction. Events still pending or
   * processing are kept whatever their age. Returns how many were deleted.
   */
  async purgeFinishedBefore(cutoff: Date, batchSize = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.prisma.$executeRaw`
        DELETE FROM "events" WHERE "id" IN (
          SELECT "id" FROM "events"
          WHERE "createdAt" < ${cutoff} AND "status" NOT IN ('pending', 'processing')
          LIMIT ${batchSize})`;
      total += deleted;
      if (deleted < batchSize) break;
    }
    await this.prisma.proof.deleteMany({ where: { createdAt: { lt: cutoff } } });
    return total;
  }

  async restoreStatus(id: bigint, status: EventStatus, reason: string | null): Promise<void> {
    await this.prisma.event.update({ where: { id }, data: { status, reason } });
  }

  /** Puts a failed event back to pending before it is re-enqueued. */
  async markRedriven(id: bigint): Promise<void> {
    await this.prisma.event.update({ where: { id }, data: { status: 'pending', reason: 'Re-driven by an operator' } });
  }
}
