-- The delivery contract: feedback statuses after a send, and the event's generation (one per
-- re-drive) so concurrent re-drives enqueue once and a stale job never changes the event.
-- ADD VALUE runs inside the migration's transaction (PostgreSQL 12+); nothing here uses the
-- new values in the same transaction.
ALTER TYPE "EventStatus" ADD VALUE 'bounced';
ALTER TYPE "EventStatus" ADD VALUE 'complained';

ALTER TABLE "events" ADD COLUMN "generation" INTEGER NOT NULL DEFAULT 0;
