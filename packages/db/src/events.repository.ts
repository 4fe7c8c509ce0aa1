/**
 * Events and their deliveries. The worker writes an event's row when it first takes the job
 * and again when the event ends; the API reads them back.
 *
 * Every status change is one transition of the state machine in @mc/core (transitions.ts),
 * applied as one conditional statement (`UPDATE … WHERE status IN (from) AND generation = g`):
 * a late, duplicate or stale job can never overwrite what another writer decided.
 */
import pg from 'pg';
import { TRANSITIONS, firstEventIdAt, settleTransition, type Channel, type EventStatus, type Lane, type Transition } from '@mc/core';
import type { PrismaClient, Event, Delivery } from './generated/prisma/client';
import { Prisma } from './generated/prisma/client';
import { createGroupCommit, type GroupCommit } from './group-commit';
import { pgPoolOf, queryPrepared, type SqlPool } from './prisma';

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
  /** 0 as accepted, +1 per re-drive (the job of generation n is `ev-<id>-g<n>`). */
  generation: number;
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
  generation: row.generation,
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
  /**
   * The channel address as the suppression list stores it (see suppressionAddress); also
   * stored as the event's `recipient`, so operators can find a recipient's events.
   */
  suppressionAddress?: string;
  /** The generation the job belongs to (0 as accepted). */
  generation?: number;
}

/** What a worker records about one attempt on the event's delivery row. */
export interface AttemptRecord {
  channel: Channel;
  provider: string;
  deliveryStatus: 'pending' | 'sent' | 'failed';
  entry: AttemptEntry;
  providerMessageId?: string;
  error?: string;
}

export interface SettleOutcome {
  status: EventStatus;
  reason?: string;
  nextAttemptAt?: Date;
  templateVersionId?: number;
  /** The generation of the job that settles (0 when absent): other generations change nothing. */
  generation?: number;
  attempt?: AttemptRecord;
}

/** An open event (pending or processing) that has not moved for a while: the sweeper's input. */
export interface StaleEvent {
  id: bigint;
  type: string;
  status: 'pending' | 'processing';
  generation: number;
  lane: Lane;
  channel: Channel | null;
  payload: Record<string, unknown>;
  createdAt: Date;
  nextAttemptAt: Date | null;
  /** Attempts recorded on its delivery row (0 when none). */
  attempts: number;
}

/** The event a re-drive moved to pending, with what its new job needs. */
export interface RedrivenEvent {
  id: bigint;
  generation: number;
  lane: Lane;
  channel: Channel | null;
  payload: Record<string, unknown>;
  createdAt: Date;
  scheduledAt: Date | null;
  /** What the event was before, so a re-drive whose enqueue failed can be undone. */
  priorStatus: EventStatus;
  priorReason: string | null;
}

/** `'a', 'b'` for a transition's sources: constants of our own table, never user input. */
const statusList = (statuses: readonly EventStatus[]) => Prisma.raw(statuses.map((s) => `'${s}'`).join(', '));
const TAKE_FROM = statusList(TRANSITIONS.take.from);

/**
 * The statuses a status webhook reports (`event.<status>`): the terminal ones and the feedback
 * after a send. Parking an event as pending writes no webhook message.
 */
export const WEBHOOK_EVENT_STATUSES = [
  'sent',
  'deliveryFailed',
  'routingFailed',
  'targetingFailed',
  'ignored',
  'tooOld',
  'bounced',
  'complained',
] as const satisfies readonly EventStatus[];
const WEBHOOK_STATUS_LIST = statusList(WEBHOOK_EVENT_STATUSES);

/** What a status change hands back to the webhook outbox CTE (see `outboxCte`). */
const CHANGED_COLUMNS = Prisma.sql`"id", "type", "status", "externalId", "reason", "channel", "updatedAt"`;

/**
 * The outbox half of a status change, as a CTE over `changed` (the rows the change actually
 * wrote): one webhook message per enabled endpoint whose type filter takes the new status, in
 * the same statement, so a status change and its webhook are never one without the other.
 * With no endpoints this costs one scan of an empty table, and no extra round trip.
 */
function outboxCte(changed: Prisma.Sql, provider: string | null | Prisma.Sql, eventId?: bigint): Prisma.Sql {
  const providerSql = provider instanceof Prisma.Sql ? provider : Prisma.sql`${provider}::text`;
  // `deliveries` is partitioned by eventId: with the id as a constant the planner reads one
  // partition, where `= c."id"` alone makes it plan (and cost) a scan of every partition on
  // every status change — enough, with a few months of days, to cross jit_above_cost. The
  // group-committed settle has no one id; its statement is prepared, so it is planned once per
  // connection, and Postgres prunes the correlated lookup at run time.
  const sameEvent = eventId === undefined ? Prisma.empty : Prisma.sql` AND d."eventId" = ${eventId}`;
  return Prisma.sql`outboxed AS (
    INSERT INTO "webhook_messages" ("endpointId", "type", "payload", "createdAt", "updatedAt")
    SELECT ep."id", 'event.' || c."status"::text, jsonb_build_object(
             'type', 'event.' || c."status"::text,
             'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'data', jsonb_build_object(
               'id', c."id"::text, 'eventType', c."type", 'externalId', c."externalId", 'status', c."status"::text,
               'reason', c."reason", 'channel', c."channel"::text,
               'provider', COALESCE(${providerSql},
                 (SELECT d."provider" FROM "deliveries" d WHERE d."eventId" = c."id"${sameEvent} ORDER BY d."updatedAt" DESC LIMIT 1)),
               'time', to_char(c."updatedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))),
           now(), now()
    FROM ${changed} c
    JOIN "webhook_endpoints" ep ON ep."enabled"
      AND (cardinality(COALESCE(ep."types", '{}')) = 0 OR ('event.' || c."status"::text) = ANY(ep."types"))
    WHERE c."status"::text IN (${WEBHOOK_STATUS_LIST})
    RETURNING "id")`;
}

/** Called with the ids of the webhook messages a status change wrote (the worker enqueues them). */
export type WebhookMessagesHook = (ids: bigint[]) => Promise<void> | void;

export interface EventsRepositoryOptions {
  /**
   * Told of the webhook messages each status change wrote, after the statement. Its failure
   * is swallowed: the rows are in the outbox, and the maintenance relay enqueues them later.
   */
  onWebhookMessages?: WebhookMessagesHook;
  /**
   * Group commit of `begin` and `settle` (see group-commit.ts): concurrent calls share one
   * multi-row statement. @defaultValue batches of up to 100, 2 of each kind at once
   */
  groupCommit?: { maxBatchSize?: number; maxInFlight?: number };
  /**
   * Where `begin` and `settle` run (see queryPrepared). @defaultValue the pg pool under the
   * client, when createPrismaClient made it
   */
  pool?: SqlPool;
}

/** What `begin` tells the worker that took (or could not take) an event. */
export interface BeginResult {
  taken: boolean;
  /** The row's status before this statement (undefined: no row yet). */
  priorStatus: EventStatus | undefined;
  delivery: Pick<DeliveryRecord, 'status' | 'provider' | 'attempts'> | undefined;
  /** The suppression entry's reason when `suppressionAddress` is on the list. */
  suppressedReason: string | undefined;
}

interface SettleItem {
  id: bigint;
  outcome: SettleOutcome;
}

/**
 * The database judged a row of the batch (a foreign key, a deadlock between batches): run its
 * items one by one, so only the item at fault fails. An unreachable database, a lost
 * connection (SQLSTATE class 08), a shutting-down or overloaded server (57, 53) fail them all,
 * as they would have failed each alone.
 */
const isRowError = (error: unknown): boolean =>
  error instanceof pg.DatabaseError && typeof error.code === 'string' && !/^(08|53|57)/.test(error.code);

/** A Date as the `timestamp(3)` text Postgres reads the same whatever the session time zone. */
const utcTimestamp = (date: Date | undefined | null): string | null =>
  date ? date.toISOString().replace('T', ' ').replace('Z', '') : null;

function workerTransition(status: EventStatus): Transition {
  const transition = settleTransition(status);
  if (!transition) throw new Error(`A worker cannot settle an event in status ${status}`);
  return transition;
}

export interface EventQuery {
  type?: string;
  status?: EventStatus;
  externalId?: string;
  /** The channel address as `begin` stored it (suppressionAddress): exact match, indexed. */
  recipient?: string;
  since?: Date;
  until?: Date;
  limit: number;
  /** Id of the last event of the previous page (pages go newest first). */
  before?: bigint;
}

/**
 * How far an event's creation time (its acceptance, `createdAt`) and the time in its id may
 * lie apart: the intake reads the clock, checks the event, then draws the id within the same
 * request. A time filter widened by this much, as an id range, never misses an event.
 */
export const EVENT_ID_TIME_SKEW_MS = 5 * 60_000;

/**
 * The id range a query's time window and cursor allow. The event log is partitioned by id (one
 * partition per day), so bounding the id lets Postgres read only the days the window covers;
 * the exact `createdAt` filter stays beside it.
 */
export function eventIdRange(query: Pick<EventQuery, 'since' | 'until' | 'before'>): { gte?: bigint; lt?: bigint } {
  const range: { gte?: bigint; lt?: bigint } = {};
  if (query.since) range.gte = firstEventIdAt(query.since.getTime() - EVENT_ID_TIME_SKEW_MS);
  const candidates = [
    ...(query.until ? [firstEventIdAt(query.until.getTime() + EVENT_ID_TIME_SKEW_MS)] : []),
    ...(query.before !== undefined ? [query.before] : []),
  ];
  if (candidates.length > 0) range.lt = candidates.reduce((a, b) => (a < b ? a : b));
  return range;
}

export class EventsRepository {
  private readonly begins: GroupCommit<NewEvent, BeginResult>;
  private readonly settles: GroupCommit<SettleItem, boolean>;
  private readonly pool: SqlPool | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: EventsRepositoryOptions = {},
  ) {
    this.pool = options.pool ?? pgPoolOf(prisma);
    const batching = { ...options.groupCommit, isolate: isRowError };
    // One event per batch: a multi-row upsert may not touch a row twice, and a second write
    // of the same event must see the first.
    this.begins = createGroupCommit({ ...batching, run: (events) => this.beginMany(events), keyOf: (event) => event.id });
    this.settles = createGroupCommit({ ...batching, run: (items) => this.settleMany(items), keyOf: (item) => item.id });
  }

  private hotPool(): SqlPool {
    if (!this.pool) throw new Error('EventsRepository: begin and settle need a client made by createPrismaClient, or options.pool');
    return this.pool;
  }

  private async announce(outbox: readonly bigint[] | null | undefined): Promise<void> {
    if (!outbox || outbox.length === 0 || !this.options.onWebhookMessages) return;
    try {
      await this.options.onWebhookMessages([...outbox]);
    } catch {
      // The relay in the maintenance sweeper enqueues what was not announced.
    }
  }

  /**
   * Takes the event for a worker (transition `take`), creating its row on first sight. The
   * take is refused — `taken: false`, nothing changed — when the row is terminal or belongs
   * to another generation: a duplicate or stale job then just completes, it never
   * resurrects an ended event. Returns the delivery already recorded for this channel, so a
   * retried job can see an earlier send. Hot path: concurrent calls share one statement
   * (group commit), each gets its own answer.
   */
  begin(event: NewEvent): Promise<BeginResult> {
    return this.begins.submit(event);
  }

  /** `begin` for a batch of distinct events: one statement, one result per event in order. */
  private async beginMany(events: readonly NewEvent[]): Promise<BeginResult[]> {
    const column = <T>(pick: (event: NewEvent) => T) => events.map(pick);
    // Each row reads the status it had before the statement (`prior`), its delivery row and
    // its suppression entry from the statement's snapshot, as a lone statement would.
    const rows = await queryPrepared<{
      id: string;
      taken: boolean;
      prior: EventStatus | null;
      status: DeliveryRecord['status'] | null;
      provider: string | null;
      attempts: number | null;
      suppressed: string | null;
    }>(
      this.hotPool(),
      Prisma.sql`
      WITH input AS (
        SELECT * FROM unnest(
          ${column((e) => e.id.toString())}::bigint[], ${column((e) => e.eventTypeId)}::int[], ${column((e) => e.type)}::text[],
          ${column((e) => e.lane)}::"Lane"[], ${column((e) => e.channel)}::"Channel"[], ${column((e) => e.externalId ?? null)}::text[],
          ${column((e) => e.origin ?? null)}::text[], ${column((e) => e.locale ?? null)}::text[],
          ${column((e) => JSON.stringify(e.payload))}::jsonb[], ${column((e) => utcTimestamp(e.scheduledAt))}::timestamp(3)[],
          ${column((e) => utcTimestamp(e.expiresAt))}::timestamp(3)[], ${column((e) => e.generation ?? 0)}::int[],
          ${column((e) => e.suppressionAddress ?? null)}::text[], ${column((e) => utcTimestamp(e.createdAt))}::timestamp(3)[])
        AS i("id", "eventTypeId", "type", "lane", "channel", "externalId", "origin", "locale", "payload", "scheduledAt",
             "expiresAt", "generation", "recipient", "createdAt")
      ),
      prior AS (SELECT e."id", e."status" FROM "events" e JOIN input i ON i."id" = e."id"),
      upserted AS (
        INSERT INTO "events" ("id", "eventTypeId", "type", "lane", "status", "channel", "externalId", "origin",
                              "locale", "payload", "scheduledAt", "expiresAt", "generation", "recipient", "createdAt", "updatedAt")
        SELECT i."id", i."eventTypeId", i."type", i."lane", 'processing'::"EventStatus", i."channel", i."externalId", i."origin",
               i."locale", i."payload", i."scheduledAt", i."expiresAt", i."generation", i."recipient", i."createdAt", now()
        FROM input i
        -- Rows are locked in id order, so two batches that share an event cannot deadlock.
        ORDER BY i."id"
        ON CONFLICT ("id") DO UPDATE SET
          "status" = 'processing', "reason" = NULL, "nextAttemptAt" = NULL,
          "channel" = EXCLUDED."channel", "recipient" = COALESCE(EXCLUDED."recipient", "events"."recipient"), "updatedAt" = now()
        WHERE "events"."status" IN (${TAKE_FROM}) AND "events"."generation" = EXCLUDED."generation"
        RETURNING "id"
      )
      SELECT i."id", (u."id" IS NOT NULL) AS taken, p."status"::text AS prior,
             d."status"::text AS status, d."provider", d."attempts", s."reason" AS suppressed
      FROM input i
      LEFT JOIN upserted u ON u."id" = i."id"
      LEFT JOIN prior p ON p."id" = i."id"
      LEFT JOIN "deliveries" d ON d."eventId" = i."id" AND d."channel" = i."channel"
      LEFT JOIN "suppressions" s ON s."channel" = i."channel" AND s."address" = i."recipient"`,
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    return events.map((event) => {
      const row = byId.get(event.id.toString());
      if (!row) throw new Error(`begin: no result row for event ${event.id}`);
      return {
        taken: row.taken,
        priorStatus: row.prior ?? undefined,
        delivery: row.status ? { status: row.status, provider: row.provider!, attempts: row.attempts! } : undefined,
        suppressedReason: row.suppressed ?? undefined,
      };
    });
  }

  /**
   * Ends the event (or parks it as pending) and records the attempt on its delivery row, in
   * one statement: the status and the delivery log never disagree. The status changes only
   * through its transition (from pending or processing, same generation); the attempt is
   * recorded whatever the event's status, because it happened. Returns whether the status
   * changed. Concurrent calls share one statement (group commit).
   */
  settle(id: bigint, outcome: SettleOutcome): Promise<boolean> {
    try {
      workerTransition(outcome.status);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.settles.submit({ id, outcome });
  }

  /** `settle` for a batch of distinct events: one statement, whether each status changed, in order. */
  private async settleMany(items: readonly SettleItem[]): Promise<boolean[]> {
    const column = <T>(pick: (item: SettleItem) => T) => items.map(pick);
    const attempt = <T>(pick: (attempt: AttemptRecord) => T) =>
      items.map(({ outcome }) => (outcome.attempt ? pick(outcome.attempt) : null));
    const rows = await queryPrepared<{ applied: string[]; outbox: string[] | null }>(
      this.hotPool(),
      Prisma.sql`
      WITH input AS (
        SELECT * FROM unnest(
          ${column((i) => i.id.toString())}::bigint[], ${column((i) => i.outcome.status)}::"EventStatus"[],
          ${column((i) => workerTransition(i.outcome.status).from.join(','))}::text[],
          ${column((i) => i.outcome.reason ?? null)}::text[], ${column((i) => utcTimestamp(i.outcome.nextAttemptAt))}::timestamp(3)[],
          ${column((i) => i.outcome.templateVersionId ?? null)}::int[], ${column((i) => i.outcome.generation ?? 0)}::int[],
          ${attempt((a) => a.channel)}::"Channel"[], ${attempt((a) => a.provider)}::text[],
          ${attempt((a) => a.deliveryStatus)}::"DeliveryStatus"[], ${attempt((a) => JSON.stringify(a.entry))}::jsonb[],
          ${attempt((a) => a.providerMessageId ?? null)}::text[], ${attempt((a) => a.error ?? null)}::text[],
          ${attempt((a) => (a.deliveryStatus === 'sent' ? utcTimestamp(new Date(a.entry.at)) : null))}::timestamp(3)[])
        AS i("id", "status", "from", "reason", "nextAttemptAt", "templateVersionId", "generation",
             "attemptChannel", "attemptProvider", "attemptStatus", "attemptEntry", "providerMessageId", "error", "sentAt")
      ),
      updated AS (
        UPDATE "events" e SET
          "status" = i."status",
          "reason" = i."reason",
          "nextAttemptAt" = i."nextAttemptAt",
          "templateVersionId" = COALESCE(i."templateVersionId", e."templateVersionId"),
          "updatedAt" = now()
        FROM input i
        WHERE e."id" = i."id" AND e."status"::text = ANY(string_to_array(i."from", ',')) AND e."generation" = i."generation"
        RETURNING e."id", e."type", e."status", e."externalId", e."reason", e."channel", e."updatedAt", i."attemptProvider"
      ),
      ${outboxCte(Prisma.sql`updated`, Prisma.sql`c."attemptProvider"`)},
      recorded AS (
        -- Appends to the attempt log and counts the attempt, whatever the row held before.
        INSERT INTO "deliveries" ("eventId", "channel", "provider", "status", "attempts", "attemptLog",
                                  "providerMessageId", "error", "sentAt", "updatedAt")
        SELECT i."id", i."attemptChannel", i."attemptProvider", i."attemptStatus", 1, jsonb_build_array(i."attemptEntry"),
               i."providerMessageId", i."error", i."sentAt", now()
        FROM input i WHERE i."attemptChannel" IS NOT NULL
        ORDER BY i."id"
        ON CONFLICT ("eventId", "channel") DO UPDATE SET
          "provider" = EXCLUDED."provider",
          -- A recorded send stays recorded: a late failure of a duplicate cannot unsay it.
          "status" = CASE WHEN "deliveries"."status" = 'sent' THEN "deliveries"."status" ELSE EXCLUDED."status" END,
          "attempts" = "deliveries"."attempts" + 1,
          "attemptLog" = "deliveries"."attemptLog" || EXCLUDED."attemptLog",
          "providerMessageId" = COALESCE(EXCLUDED."providerMessageId", "deliveries"."providerMessageId"),
          "error" = EXCLUDED."error",
          "sentAt" = COALESCE(EXCLUDED."sentAt", "deliveries"."sentAt"),
          "updatedAt" = now()
        RETURNING "id"
      )
      SELECT ARRAY(SELECT "id"::text FROM updated) AS applied, ARRAY(SELECT "id" FROM outboxed) AS outbox,
             (SELECT count(*) FROM recorded)::int AS recorded`,
    );
    await this.announce(rows[0]?.outbox?.map(BigInt));
    const applied = new Set(rows[0]?.applied ?? []);
    return items.map((item) => applied.has(item.id.toString()));
  }

  /**
   * Ends an event whose job failed for good (or was lost), creating the row when no worker
   * ever took the job. Same conditions as `settle`: only an open event of the same generation
   * changes. The row needs its event type: when that was deleted meanwhile, nothing is written.
   */
  async settleJob(job: {
    id: bigint;
    generation: number;
    type: string;
    lane: Lane;
    channel: Channel;
    payload: Record<string, unknown>;
    createdAt: Date;
    status: EventStatus;
    reason: string | null;
    attempt?: AttemptRecord;
  }): Promise<boolean> {
    const transition = workerTransition(job.status);
    const rows = await this.prisma.$queryRaw<{ applied: number; outbox: bigint[] | null }[]>`
      WITH changed AS (
      INSERT INTO "events" ("id", "eventTypeId", "type", "lane", "status", "reason", "channel", "payload",
                            "generation", "createdAt", "updatedAt")
      SELECT ${job.id}, t."id", ${job.type}, ${job.lane}::"Lane", ${job.status}::"EventStatus", ${job.reason},
             ${job.channel}::"Channel", ${JSON.stringify(job.payload)}::jsonb, ${job.generation}, ${job.createdAt}, now()
      FROM "event_types" t WHERE t."key" = ${job.type}
      ON CONFLICT ("id") DO UPDATE SET
        "status" = EXCLUDED."status", "reason" = EXCLUDED."reason", "nextAttemptAt" = NULL, "updatedAt" = now()
      WHERE "events"."status" IN (${statusList(transition.from)}) AND "events"."generation" = EXCLUDED."generation"
      RETURNING ${CHANGED_COLUMNS}),
      ${outboxCte(Prisma.sql`changed`, job.attempt?.provider ?? null, job.id)}
      SELECT (SELECT count(*) FROM changed)::int AS applied, ARRAY(SELECT "id" FROM outboxed) AS outbox`;
    const applied = (rows[0]?.applied ?? 0) > 0;
    if (applied && job.attempt) {
      // The send the job's data recorded: the row the event needs to show it.
      await this.settleAttemptOnly(job.id, job.attempt);
    }
    await this.announce(rows[0]?.outbox);
    return applied;
  }

  private async settleAttemptOnly(id: bigint, attempt: AttemptRecord): Promise<void> {
    const sentAt = attempt.deliveryStatus === 'sent' ? new Date(attempt.entry.at) : null;
    await this.prisma.$executeRaw`
      INSERT INTO "deliveries" ("eventId", "channel", "provider", "status", "attempts", "attemptLog",
                                "providerMessageId", "error", "sentAt", "updatedAt")
      VALUES (${id}, ${attempt.channel}::"Channel", ${attempt.provider}, ${attempt.deliveryStatus}::"DeliveryStatus", 1,
              jsonb_build_array(${JSON.stringify(attempt.entry)}::jsonb),
              ${attempt.providerMessageId ?? null}, ${attempt.error ?? null}, ${sentAt}, now())
      ON CONFLICT ("eventId", "channel") DO UPDATE SET
        "provider" = EXCLUDED."provider",
        "status" = CASE WHEN "deliveries"."status" = 'sent' THEN "deliveries"."status" ELSE EXCLUDED."status" END,
        "attempts" = "deliveries"."attempts" + 1,
        "attemptLog" = "deliveries"."attemptLog" || EXCLUDED."attemptLog",
        "providerMessageId" = COALESCE(EXCLUDED."providerMessageId", "deliveries"."providerMessageId"),
        "sentAt" = COALESCE(EXCLUDED."sentAt", "deliveries"."sentAt"),
        "updatedAt" = now()`;
  }

  /**
   * Re-drives a failed event (transition `redrive`): back to pending as a new generation, in
   * one conditional statement. Of concurrent re-drives exactly one gets the event back; the
   * others get undefined (the caller answers 409 or 404).
   */
  async redrive(id: bigint, reason = 'Re-driven by an operator'): Promise<RedrivenEvent | undefined> {
    const rows = await this.prisma.$queryRaw<RedrivenEvent[]>`
      WITH prior AS (SELECT "status", "reason" FROM "events" WHERE "id" = ${id} FOR UPDATE)
      UPDATE "events" e SET
        "status" = 'pending', "reason" = ${reason}, "nextAttemptAt" = NULL,
        "generation" = e."generation" + 1, "updatedAt" = now()
      FROM prior
      WHERE e."id" = ${id} AND e."status" IN (${statusList(TRANSITIONS.redrive.from)})
      RETURNING e."id", e."generation", e."lane"::text AS lane, e."channel"::text AS channel, e."payload", e."createdAt",
                e."scheduledAt", prior."status"::text AS "priorStatus", prior."reason" AS "priorReason"`;
    return rows[0];
  }

  /**
   * Undoes a re-drive whose enqueue failed (the caller answers 503: nothing was re-driven) by
   * the failure transition back to its prior status — only while the new generation is still
   * pending and untouched. The generation stays counted, so a job that did reach Redis finds
   * the event ended and completes without sending.
   */
  async undoRedrive(event: Pick<RedrivenEvent, 'id' | 'generation' | 'priorStatus' | 'priorReason'>): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<{ id: bigint }[]>`
      UPDATE "events" SET "status" = ${event.priorStatus}::"EventStatus", "reason" = ${event.priorReason}, "updatedAt" = now()
      WHERE "id" = ${event.id} AND "status" = 'pending' AND "generation" = ${event.generation} AND "nextAttemptAt" IS NULL
      RETURNING "id"`;
    return rows.length > 0;
  }

  /**
   * Feedback about a sent message (transitions `bounce`, `complain`): forward only, so a late
   * bounce never overwrites a complaint. Returns whether the status changed.
   */
  async recordFeedback(id: bigint, status: 'bounced' | 'complained', reason: string): Promise<boolean> {
    const from = status === 'bounced' ? TRANSITIONS.bounce.from : TRANSITIONS.complain.from;
    const rows = await this.prisma.$queryRaw<{ applied: number; outbox: bigint[] | null }[]>`
      WITH changed AS (
        UPDATE "events" SET "status" = ${status}::"EventStatus", "reason" = ${reason}, "updatedAt" = now()
        WHERE "id" = ${id} AND "status" IN (${statusList(from)})
        RETURNING ${CHANGED_COLUMNS}),
      ${outboxCte(Prisma.sql`changed`, null, id)}
      SELECT (SELECT count(*) FROM changed)::int AS applied, ARRAY(SELECT "id" FROM outboxed) AS outbox`;
    await this.announce(rows[0]?.outbox);
    return (rows[0]?.applied ?? 0) > 0;
  }

  /**
   * Open events (pending or processing) untouched since `before` and not waiting for a retry
   * due after it, oldest first: the candidates whose job may be gone.
   */
  async findStale(before: Date, limit: number): Promise<StaleEvent[]> {
    const rows = await this.prisma.$queryRaw<(Omit<StaleEvent, 'attempts'> & { attempts: number | null })[]>`
      SELECT e."id", e."type", e."status"::text AS status, e."generation", e."lane"::text AS lane,
             e."channel"::text AS channel, e."payload", e."createdAt", e."nextAttemptAt",
             (SELECT max(d."attempts") FROM "deliveries" d WHERE d."eventId" = e."id") AS attempts
      FROM "events" e
      WHERE e."status" IN ('pending', 'processing') AND e."updatedAt" < ${before}
        AND (e."nextAttemptAt" IS NULL OR e."nextAttemptAt" < ${before})
      ORDER BY e."updatedAt"
      LIMIT ${limit}`;
    return rows.map((row) => ({ ...row, attempts: row.attempts ?? 0 }));
  }

  async find(id: bigint): Promise<EventRecord | undefined> {
    const row = await this.prisma.event.findUnique({ where: { id }, include });
    return row ? toEvent(row) : undefined;
  }

  async list(query: EventQuery): Promise<EventRecord[]> {
    const ids = eventIdRange(query);
    const rows = await this.prisma.event.findMany({
      where: {
        ...(query.type ? { type: query.type } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.externalId ? { externalId: query.externalId } : {}),
        ...(query.recipient ? { recipient: query.recipient } : {}),
        ...(query.since || query.until
          ? { createdAt: { ...(query.since ? { gte: query.since } : {}), ...(query.until ? { lt: query.until } : {}) } }
          : {}),
        ...(ids.gte !== undefined || ids.lt !== undefined ? { id: ids } : {}),
      },
      include,
      orderBy: { id: 'desc' },
      take: query.limit,
    });
    return rows.map(toEvent);
  }
}
