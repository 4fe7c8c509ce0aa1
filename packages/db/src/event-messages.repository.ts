/**
 * What an event's message was made from: the template version the worker rendered (the
 * event's templateVersionId) and the event as accepted (its stored payload). Versions are
 * immutable, so rendering the two again gives the message as it was sent.
 */
import type { Channel } from '@mc/core';
import type { PrismaClient } from './generated/prisma/client';
import type { VersionRecord } from './templates.repository';

export interface EventMessageSource {
  id: bigint;
  type: string;
  payload: Record<string, unknown>;
  /** null when no worker rendered the event (not yet taken, or it ended before rendering). */
  version: VersionRecord | null;
}

export class EventMessagesRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The event's message source; undefined when the event is unknown. */
  async find(id: bigint): Promise<EventMessageSource | undefined> {
    const row = await this.prisma.event.findUnique({
      where: { id },
      select: {
        id: true,
        type: true,
        payload: true,
        templateVersion: { include: { template: { select: { channel: true } } } },
      },
    });
    if (!row) return undefined;
    const v = row.templateVersion;
    return {
      id: row.id,
      type: row.type,
      payload: row.payload as Record<string, unknown>,
      version: v
        ? {
            id: v.id,
            templateId: v.templateId,
            version: v.version,
            channel: v.template.channel as Channel,
            content: v.content as Record<string, unknown>,
            compiledHtml: v.compiledHtml,
            warnings: (v.warnings as unknown[] | null) ?? [],
            createdAt: v.createdAt,
          }
        : null,
    };
  }
}
