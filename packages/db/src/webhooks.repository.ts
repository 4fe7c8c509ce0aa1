/**
 * Webhook endpoints and their messages. The messages table is both the outbox (rows written by
 * the status change itself, see EventsRepository) and the delivery log the API shows.
 * Secrets arrive here already encrypted: this module never sees one in clear.
 */
import { notFound } from '@mc/core';
import type { PrismaClient, WebhookEndpoint, WebhookMessage } from './generated/prisma/client';

export interface WebhookEndpointRecord {
  id: number;
  url: string;
  description: string | null;
  /** Message types it receives; empty: all. */
  types: string[];
  enabled: boolean;
  disabledReason: string | null;
  /** The secret, encrypted. */
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type WebhookMessageState = 'pending' | 'delivered' | 'failed';

export interface WebhookMessageRecord {
  id: bigint;
  endpointId: number;
  type: string;
  payload: Record<string, unknown>;
  status: WebhookMessageState;
  attempts: number;
  replays: number;
  responseCode: number | null;
  error: string | null;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

const toEndpoint = (row: WebhookEndpoint): WebhookEndpointRecord => ({ ...row, types: row.types ?? [] });
const toMessage = (row: WebhookMessage): WebhookMessageRecord => ({
  id: row.id,
  endpointId: row.endpointId,
  type: row.type,
  payload: row.payload as Record<string, unknown>,
  status: row.status,
  attempts: row.attempts,
  replays: row.replays,
  responseCode: row.responseCode,
  error: row.error,
  lastAttemptAt: row.lastAttemptAt,
  nextAttemptAt: row.nextAttemptAt,
  deliveredAt: row.deliveredAt,
  createdAt: row.createdAt,
});

export interface NewWebhookEndpoint {
  url: string;
  description?: string | null;
  types?: string[];
  /** Encrypted. */
  secret: string;
}

export interface WebhookEndpointChanges {
  url?: string;
  description?: string | null;
  types?: string[];
}

/** One attempt's result, as the delivery log records it. */
export interface WebhookAttemptResult {
  responseCode: number | null;
  error: string | null;
  /** The message is done (delivered, or failed for good). */
  final: boolean;
  delivered: boolean;
  nextAttemptAt?: Date | null;
}

const isMissing = (error: unknown) => (error as { code?: string }).code === 'P2025';

export class WebhooksRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async createEndpoint(endpoint: NewWebhookEndpoint): Promise<WebhookEndpointRecord> {
    const row = await this.prisma.webhookEndpoint.create({
      data: {
        url: endpoint.url,
        description: endpoint.description ?? null,
        types: endpoint.types ?? [],
        secret: endpoint.secret,
      },
    });
    return toEndpoint(row);
  }

  async listEndpoints(): Promise<WebhookEndpointRecord[]> {
    const rows = await this.prisma.webhookEndpoint.findMany({ orderBy: { id: 'asc' } });
    return rows.map(toEndpoint);
  }

  async findEndpoint(id: number): Promise<WebhookEndpointRecord | undefined> {
    const row = await this.prisma.webhookEndpoint.findUnique({ where: { id } });
    return row ? toEndpoint(row) : undefined;
  }

  private async mutate(id: number, apply: () => Promise<WebhookEndpoint>): Promise<WebhookEndpointRecord> {
    try {
      return toEndpoint(await apply());
    } catch (error) {
      if (isMissing(error)) throw notFound(`Webhook endpoint ${id}`);
      throw error;
    }
  }

  updateEndpoint(id: number, changes: WebhookEndpointChanges): Promise<WebhookEndpointRecord> {
    return this.mutate(id, () =>
      this.prisma.webhookEndpoint.update({
        where: { id },
        data: {
          ...(changes.url !== undefined ? { url: changes.url } : {}),
          ...(changes.description !== undefined ? { description: changes.description } : {}),
          ...(changes.types !== undefined ? { types: changes.types } : {}),
        },
      }),
    );
  }

  /** Enables (clearing the failure run, so an old one cannot disable it again at once) or disables. */
  setEnabled(id: number, enabled: boolean, reason: string | null): Promise<WebhookEndpointRecord> {
    return this.mutate(id, () =>
      this.prisma.webhookEndpoint.update({
        where: { id },
        data: enabled ? { enabled: true, disabledReason: null, failingSince: null } : { enabled: false, disabledReason: reason },
      }),
    );
  }

  /** Disables an endpoint the delivery path gave up on (410, failing too long). */
  async disableEndpoint(id: number, reason: string): Promise<void> {
    await this.prisma.webhookEndpoint.updateMany({ where: { id, enabled: true }, data: { enabled: false, disabledReason: reason } });
  }

  /**
   * Rotates the secret: the current one becomes the previous one, still signed with until
   * `previousUntil`, so receivers can switch without a gap.
   */
  async rotateSecret(id: number, secret: string, previousUntil: Date): Promise<WebhookEndpointRecord> {
    const rows = await this.prisma.$queryRaw<{ id: number }[]>`
      UPDATE "webhook_endpoints" SET "previousSecret" = "secret", "secret" = ${secret},
        "previousSecretExpiresAt" = ${previousUntil}, "updatedAt" = now()
      WHERE "id" = ${id} RETURNING "id"`;
    if (rows.length === 0) throw notFound(`Webhook endpoint ${id}`);
    return (await this.findEndpoint(id))!;
  }

  async deleteEndpoint(id: number): Promise<void> {
    const { count } = await this.prisma.webhookEndpoint.deleteMany({ where: { id } });
    if (count === 0) throw notFound(`Webhook endpoint ${id}`);
  }

  /** A message written by an operator (the test message), rather than by a status change. */
  async addMessage(endpointId: number, type: string, payload: Record<string, unknown>): Promise<WebhookMessageRecord> {
    const row = await this.prisma.webhookMessage.create({ data: { endpointId, type, payload: payload as object } });
    return toMessage(row);
  }

  /** The delivery log of an endpoint, newest first. */
  async listMessages(endpointId: number, options: { limit: number; before?: bigint }): Promise<WebhookMessageRecord[]> {
    const rows = await this.prisma.webhookMessage.findMany({
      where: { endpointId, ...(options.before !== undefined ? { id: { lt: options.before } } : {}) },
      orderBy: { id: 'desc' },
      take: options.limit,
    });
    return rows.map(toMessage);
  }

  async findMessage(id: bigint): Promise<WebhookMessageRecord | undefined> {
    const row = await this.prisma.webhookMessage.findUnique({ where: { id } });
    return row ? toMessage(row) : undefined;
  }

  /**
   * Puts an ended message back to pending as replay n+1; returns it, or undefined when unknown
   * or still pending (one delivery of a message at a time).
   */
  async replay(endpointId: number, id: bigint): Promise<WebhookMessageRecord | undefined> {
    const rows = await this.prisma.$queryRaw<{ id: bigint }[]>`
      UPDATE "webhook_messages" SET "status" = 'pending', "replays" = "replays" + 1, "nextAttemptAt" = NULL, "updatedAt" = now()
      WHERE "id" = ${id} AND "endpointId" = ${endpointId} AND "status" <> 'pending' RETURNING "id"`;
    return rows.length === 0 ? undefined : this.findMessage(id);
  }

  /** The message and its endpoint, as the delivery job needs them. */
  async loadForDelivery(id: bigint): Promise<{ message: WebhookMessageRecord; endpoint: WebhookEndpointRecord } | undefined> {
    const row = await this.prisma.webhookMessage.findUnique({ where: { id }, include: { endpoint: true } });
    return row ? { message: toMessage(row), endpoint: toEndpoint(row.endpoint) } : undefined;
  }

  /** Records one delivery attempt on the message, and on the endpoint its failure run. */
  async recordAttempt(message: { id: bigint; endpointId: number }, result: WebhookAttemptResult): Promise<{ failingSince: Date | null }> {
    const status = result.delivered ? 'delivered' : result.final ? 'failed' : 'pending';
    await this.prisma.$executeRaw`
      UPDATE "webhook_messages" SET "status" = ${status}::"WebhookMessageStatus", "attempts" = "attempts" + 1,
        "responseCode" = ${result.responseCode}, "error" = ${result.error}, "lastAttemptAt" = now(),
        "nextAttemptAt" = ${result.nextAttemptAt ?? null},
        "deliveredAt" = CASE WHEN ${result.delivered} THEN now() ELSE "deliveredAt" END, "updatedAt" = now()
      WHERE "id" = ${message.id}`;
    const rows = await this.prisma.$queryRaw<{ failingSince: Date | null }[]>`
      UPDATE "webhook_endpoints" SET
        "failingSince" = CASE WHEN ${result.delivered} THEN NULL ELSE COALESCE("failingSince", now()) END
      WHERE "id" = ${message.endpointId} RETURNING "failingSince"`;
    return { failingSince: rows[0]?.failingSince ?? null };
  }

  /** Ends a message without an attempt (its endpoint is disabled, its URL refused). */
  async failMessage(id: bigint, error: string): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE "webhook_messages" SET "status" = 'failed', "error" = ${error}, "nextAttemptAt" = NULL, "updatedAt" = now()
      WHERE "id" = ${id} AND "status" = 'pending'`;
  }

  /** Pending messages untouched since `before`, oldest first: the relay checks each has a job. */
  async findPending(before: Date, limit: number): Promise<Pick<WebhookMessageRecord, 'id' | 'replays'>[]> {
    return this.prisma.$queryRaw<Pick<WebhookMessageRecord, 'id' | 'replays'>[]>`
      SELECT "id", "replays" FROM "webhook_messages"
      WHERE "status" = 'pending' AND "updatedAt" < ${before}
      ORDER BY "id" LIMIT ${limit}`;
  }

  /** Retention: messages (the outbox and the delivery log) created before `cutoff` and done. */
  async purgeBefore(cutoff: Date, batchSize = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.prisma.$executeRaw`
        DELETE FROM "webhook_messages" WHERE "id" IN (
          SELECT "id" FROM "webhook_messages" WHERE "createdAt" < ${cutoff} AND "status" <> 'pending' LIMIT ${batchSize})`;
      total += deleted;
      if (deleted < batchSize) break;
    }
    return total;
  }
}
