-- The event log, range-partitioned by event id: one partition per UTC day, so retention drops a
-- whole day (DROP TABLE) instead of deleting its rows, and a query bounded in time reads only
-- its days. An event id is time-ordered (41 bits of milliseconds since 2024-01-01 UTC, then 22
-- bits of node and sequence), so the day [d, d+1) is the id range
-- [(d * 86400000) << 22, ((d + 1) * 86400000) << 22), d counted in days since 2024-01-01.
--
-- Deliveries are partitioned by their event id with the same bounds, so an event and its
-- deliveries sit in partitions of the same day and leave together. Keys must hold the
-- partition key: events keep PRIMARY KEY (id); deliveries' key becomes (eventId, channel) —
-- the unique pair the worker upserts on — and "id" stays as a sequence-numbered column for
-- ordering (no longer a key of its own). The foreign key deliveries → events stays (Postgres
-- 12+ allows it between partitioned tables), with its cascade.
--
-- A DEFAULT partition on each catches rows of a day with no partition yet (ids older than the
-- kept days: a scheduled event taken late, or rows retention kept), so an insert never fails.
-- The worker's maintenance creates the days ahead, moves rows out of the default partition
-- when their day is created, and drops old days (see @mc/db event-log-partitions).
--
-- Existing rows are copied into partitions of their own days, in this migration's transaction:
-- the tables are locked for the copy (plan a short pause of the services on a large table).

CREATE TABLE "events_partitioned" (
    "id" BIGINT NOT NULL,
    "eventTypeId" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "lane" "Lane" NOT NULL,
    "status" "EventStatus" NOT NULL,
    "reason" TEXT,
    "channel" "Channel",
    "externalId" TEXT,
    "origin" TEXT,
    "locale" TEXT,
    "payload" JSONB NOT NULL,
    "scheduledAt" TIMESTAMP(3),
    "expiresAt" TIMESTAMP(3),
    "nextAttemptAt" TIMESTAMP(3),
    "templateVersionId" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "generation" INTEGER NOT NULL DEFAULT 0,
    "recipient" TEXT
) PARTITION BY RANGE ("id");

-- The sequence outlives the old table it belonged to.
ALTER SEQUENCE "deliveries_id_seq" OWNED BY NONE;

CREATE TABLE "deliveries_partitioned" (
    "id" INTEGER NOT NULL DEFAULT nextval('"deliveries_id_seq"'::regclass),
    "eventId" BIGINT NOT NULL,
    "channel" "Channel" NOT NULL,
    "provider" TEXT NOT NULL,
    "status" "DeliveryStatus" NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "attemptLog" JSONB NOT NULL DEFAULT '[]',
    "providerMessageId" TEXT,
    "error" TEXT,
    "sentAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL
) PARTITION BY RANGE ("eventId");

CREATE TABLE "events_default" PARTITION OF "events_partitioned" DEFAULT;
CREATE TABLE "deliveries_default" PARTITION OF "deliveries_partitioned" DEFAULT;

-- A partition for every day that holds events, and for today and the next two days (the
-- maintenance job keeps creating them ahead from there).
DO $$
DECLARE
  today CONSTANT integer := floor((extract(epoch FROM now()) * 1000 - 1704067200000) / 86400000);
  day integer;
  low bigint;
  high bigint;
  suffix text;
BEGIN
  FOR day IN
    SELECT DISTINCT ("id" >> 22) / 86400000 FROM "events"
    UNION SELECT DISTINCT ("eventId" >> 22) / 86400000 FROM "deliveries"
    UNION SELECT generate_series(today, today + 2)
  LOOP
    low := (day::bigint * 86400000) << 22;
    high := ((day::bigint + 1) * 86400000) << 22;
    suffix := to_char(date '2024-01-01' + day, 'YYYYMMDD');
    EXECUTE format('CREATE TABLE %I PARTITION OF "events_partitioned" FOR VALUES FROM (%s) TO (%s)', 'events_p' || suffix, low, high);
    EXECUTE format('CREATE TABLE %I PARTITION OF "deliveries_partitioned" FOR VALUES FROM (%s) TO (%s)', 'deliveries_p' || suffix, low, high);
  END LOOP;
END $$;

-- Copied before any index exists: one index build per partition afterwards is cheaper than
-- maintaining them row by row.
INSERT INTO "events_partitioned" ("id", "eventTypeId", "type", "lane", "status", "reason", "channel", "externalId",
    "origin", "locale", "payload", "scheduledAt", "expiresAt", "nextAttemptAt", "templateVersionId", "createdAt",
    "updatedAt", "generation", "recipient")
SELECT "id", "eventTypeId", "type", "lane", "status", "reason", "channel", "externalId",
    "origin", "locale", "payload", "scheduledAt", "expiresAt", "nextAttemptAt", "templateVersionId", "createdAt",
    "updatedAt", "generation", "recipient"
FROM "events";

INSERT INTO "deliveries_partitioned" ("id", "eventId", "channel", "provider", "status", "attempts", "attemptLog",
    "providerMessageId", "error", "sentAt", "createdAt", "updatedAt")
SELECT "id", "eventId", "channel", "provider", "status", "attempts", "attemptLog",
    "providerMessageId", "error", "sentAt", "createdAt", "updatedAt"
FROM "deliveries";

-- Dropping the old tables frees their constraint and index names for the new ones.
DROP TABLE "deliveries";
DROP TABLE "events";
ALTER TABLE "events_partitioned" RENAME TO "events";
ALTER TABLE "deliveries_partitioned" RENAME TO "deliveries";
ALTER SEQUENCE "deliveries_id_seq" OWNED BY "deliveries"."id";

ALTER TABLE "events" ADD CONSTRAINT "events_pkey" PRIMARY KEY ("id");
CREATE INDEX "events_type_createdAt_idx" ON "events"("type", "createdAt");
CREATE INDEX "events_status_createdAt_idx" ON "events"("status", "createdAt");
CREATE INDEX "events_externalId_idx" ON "events"("externalId");
CREATE INDEX "events_recipient_idx" ON "events"("recipient");
ALTER TABLE "events" ADD CONSTRAINT "events_eventTypeId_fkey" FOREIGN KEY ("eventTypeId") REFERENCES "event_types"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "events" ADD CONSTRAINT "events_templateVersionId_fkey" FOREIGN KEY ("templateVersionId") REFERENCES "template_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_pkey" PRIMARY KEY ("eventId", "channel");
CREATE INDEX "deliveries_providerMessageId_idx" ON "deliveries"("providerMessageId");
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "events"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Fresh statistics, so the first queries after the migration plan on real numbers.
ANALYZE "events";
ANALYZE "deliveries";
