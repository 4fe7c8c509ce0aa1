/**
 * What bounce and complaint intake needs from the database besides the event's status change
 * (EventsRepository.recordFeedback): find the email delivery a report is about, note the
 * report on its attempt log once, and suppress the address without overwriting an entry an
 * operator made. Each write is conditional, so a repeated report changes nothing.
 */
import type { PrismaClient } from './generated/prisma/client';
import { suppressionAddress } from './suppressions.repository';

/** The email delivery a report names, with what acting on it needs. */
export interface FeedbackTarget {
  eventId: bigint;
  /** The event's status now (feedback acts on sent messages only). */
  status: string;
  /** The address the event was sent to (the event's `email`), as given. */
  address: string | null;
  providerMessageId: string | null;
}

/** A report noted on the delivery's attempt log; `feedbackId` makes the note happen once. */
export interface FeedbackEntry {
  at: string;
  provider: string;
  /** `bounced`, `complained` or `delayed`. */
  outcome: string;
  error?: string;
  feedbackId: string;
}

export class FeedbackRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The email delivery of an event (from a verified VERP address). */
  async findByEventId(eventId: bigint): Promise<FeedbackTarget | undefined> {
    const rows = await this.prisma.$queryRaw<FeedbackTarget[]>`
      SELECT e."id" AS "eventId", e."status"::text AS status, e."payload"->>'email' AS address, d."providerMessageId"
      FROM "events" e JOIN "deliveries" d ON d."eventId" = e."id" AND d."channel" = 'email'
      WHERE e."id" = ${eventId}`;
    return rows[0];
  }

  /**
   * The email delivery whose provider message id is one of `ids` (SES's message id, or the
   * Message-ID header we set), with or without angle brackets.
   */
  async findByProviderMessageId(ids: readonly string[]): Promise<FeedbackTarget | undefined> {
    const bare = [...new Set(ids.map((id) => id.trim().replace(/^<|>$/g, '')).filter(Boolean))];
    if (bare.length === 0) return undefined;
    const forms = bare.flatMap((id) => [id, `<${id}>`]);
    const rows = await this.prisma.$queryRaw<FeedbackTarget[]>`
      SELECT e."id" AS "eventId", e."status"::text AS status, e."payload"->>'email' AS address, d."providerMessageId"
      FROM "deliveries" d JOIN "events" e ON e."id" = d."eventId"
      WHERE d."providerMessageId" = ANY(${forms}::text[]) AND d."channel" = 'email'
      ORDER BY d."id" DESC
      LIMIT 1`;
    return rows[0];
  }

  /**
   * Appends the report to the delivery's attempt log unless a report with the same
   * `feedbackId` is there already. Returns whether it was appended (false: a repeat).
   */
  async noteOnDelivery(eventId: bigint, entry: FeedbackEntry): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<{ id: number }[]>`
      UPDATE "deliveries" SET
        "attemptLog" = "attemptLog" || jsonb_build_array(${JSON.stringify(entry)}::jsonb),
        "updatedAt" = now()
      WHERE "eventId" = ${eventId} AND "channel" = 'email'
        AND NOT "attemptLog" @> jsonb_build_array(jsonb_build_object('feedbackId', ${entry.feedbackId}::text))
      RETURNING "id"`;
    return rows.length > 0;
  }

  /** Suppresses the email address unless it already is (an existing entry and its reason stay). */
  async suppressEmail(entry: { address: string; reason: string; source: string }): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<{ id: number }[]>`
      INSERT INTO "suppressions" ("channel", "address", "reason", "source")
      VALUES ('email', ${suppressionAddress('email', entry.address)}, ${entry.reason}, ${entry.source})
      ON CONFLICT ("channel", "address") DO NOTHING
      RETURNING "id"`;
    return rows.length > 0;
  }
}
