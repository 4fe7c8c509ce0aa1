/** Event types: the enumeration of events upstream systems may push. */
import { conflict, notFound } from '@mc/core';
import type { PrismaClient, EventType } from './generated/prisma/client';
import { Prisma } from './generated/prisma/client';
import { isUniqueViolation } from './errors';

export interface EventTypeRecord {
  id: number;
  key: string;
  label: string;
  description: string | null;
  enabled: boolean;
  ctxSchema: Record<string, unknown> | null;
  maxAgeSeconds: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface EventTypeChanges {
  label?: string;
  description?: string | null;
  enabled?: boolean;
  ctxSchema?: Record<string, unknown> | null;
  maxAgeSeconds?: number | null;
}

const toRecord = (row: EventType): EventTypeRecord => ({
  id: row.id,
  key: row.key,
  label: row.label,
  description: row.description,
  enabled: row.enabled,
  ctxSchema: (row.ctxSchema as Record<string, unknown> | null) ?? null,
  maxAgeSeconds: row.maxAgeSeconds,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const jsonOrNull = (value: Record<string, unknown> | null | undefined) =>
  value === undefined ? undefined : value === null ? Prisma.DbNull : (value as Prisma.InputJsonValue);

export class EventTypesRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async create(input: { key: string; label: string } & EventTypeChanges): Promise<EventTypeRecord> {
    try {
      const row = await this.prisma.eventType.create({
        data: {
          key: input.key,
          label: input.label,
          description: input.description ?? null,
          enabled: input.enabled ?? true,
          ctxSchema: jsonOrNull(input.ctxSchema),
          maxAgeSeconds: input.maxAgeSeconds ?? null,
        },
      });
      return toRecord(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`Event type "${input.key}" already exists`);
      throw error;
    }
  }

  async list(): Promise<EventTypeRecord[]> {
    return (await this.prisma.eventType.findMany({ orderBy: { key: 'asc' } })).map(toRecord);
  }

  async find(key: string): Promise<EventTypeRecord | undefined> {
    const row = await this.prisma.eventType.findUnique({ where: { key } });
    return row ? toRecord(row) : undefined;
  }

  async get(key: string): Promise<EventTypeRecord> {
    const found = await this.find(key);
    if (!found) throw notFound(`Event type "${key}"`);
    return found;
  }

  async update(key: string, changes: EventTypeChanges): Promise<EventTypeRecord> {
    await this.get(key);
    const row = await this.prisma.eventType.update({
      where: { key },
      data: { ...changes, ctxSchema: jsonOrNull(changes.ctxSchema) },
    });
    return toRecord(row);
  }

  /** Refuses while templates or events refer to the type: disable it instead. */
  async delete(key: string): Promise<void> {
    const type = await this.get(key);
    const [templates, events] = await Promise.all([
      this.prisma.template.count({ where: { eventTypeId: type.id } }),
      this.prisma.event.count({ where: { eventTypeId: type.id } }),
    ]);
    if (templates > 0 || events > 0) {
      throw conflict(
        `Event type "${key}" is referenced by ${templates} template(s) and ${events} event(s); disable it instead`,
      );
    }
    await this.prisma.eventType.delete({ where: { key } });
  }
}
