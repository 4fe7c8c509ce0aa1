-- The operator console: events findable by their recipient, and an audit log of admin changes.
-- The recipient is written by the worker when it takes the event (earlier rows stay NULL: the
-- address is still in their payload, and retention removes them in time).
ALTER TABLE "events" ADD COLUMN "recipient" TEXT;

CREATE INDEX "events_recipient_idx" ON "events"("recipient");

-- One row per admin change, written after the change succeeded. actorKeyId is NULL for the
-- bootstrap keys from the environment (they have no row in api_keys).
CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorKeyId" TEXT,
    "actorName" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "targetType" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "details" JSONB,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "audit_log_at_idx" ON "audit_log"("at");

CREATE INDEX "audit_log_targetType_targetId_idx" ON "audit_log"("targetType", "targetId");
