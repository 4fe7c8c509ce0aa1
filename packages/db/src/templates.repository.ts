/**
 * Templates (editable drafts), their immutable versions, and the publication table that
 * routes (event type, channel, locale) to one published version.
 */
import { conflict, notFound, unprocessable, type Channel } from '@mc/core';
import type { PrismaClient, Template, TemplateVersion, Publication } from './generated/prisma/client';
import { Prisma } from './generated/prisma/client';
import { isUniqueViolation } from './errors';

export type TemplateState = 'draft' | 'published' | 'paused';

export interface TemplateRecord {
  id: string;
  eventType: string;
  eventTypeId: number;
  channel: Channel;
  locale: string | null;
  name: string;
  content: Record<string, unknown>;
  testData: Record<string, unknown> | null;
  seedAddresses: string[];
  state: TemplateState;
  publishedVersion: number | null;
  latestVersion: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface VersionRecord {
  id: number;
  templateId: string;
  version: number;
  channel: Channel;
  content: Record<string, unknown>;
  compiledHtml: string | null;
  warnings: unknown[];
  createdAt: Date;
}

/** What the worker needs to route an event: the version to render, or that sending is paused. */
export interface RouteRecord {
  paused: boolean;
  locale: string;
  version: VersionRecord;
}

type TemplateRow = Template & {
  eventType: { key: string };
  publication: (Publication & { version: { version: number } }) | null;
  versions: { version: number }[];
};

const include = {
  eventType: { select: { key: true } },
  publication: { include: { version: { select: { version: true } } } },
  versions: { select: { version: true }, orderBy: { version: 'desc' as const }, take: 1 },
};

const toTemplate = (row: TemplateRow): TemplateRecord => ({
  id: row.id,
  eventType: row.eventType.key,
  eventTypeId: row.eventTypeId,
  channel: row.channel,
  locale: row.locale === '' ? null : row.locale,
  name: row.name,
  content: row.content as Record<string, unknown>,
  testData: (row.testData as Record<string, unknown> | null) ?? null,
  seedAddresses: row.seedAddresses,
  state: row.publication ? (row.publication.paused ? 'paused' : 'published') : 'draft',
  publishedVersion: row.publication?.version.version ?? null,
  latestVersion: row.versions[0]?.version ?? null,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const toVersion = (row: TemplateVersion, channel: Channel): VersionRecord => ({
  id: row.id,
  templateId: row.templateId,
  version: row.version,
  channel,
  content: row.content as Record<string, unknown>,
  compiledHtml: row.compiledHtml,
  warnings: (row.warnings as unknown[] | null) ?? [],
  createdAt: row.createdAt,
});

export interface TemplateDraft {
  name?: string;
  locale?: string;
  content?: Record<string, unknown>;
  testData?: Record<string, unknown> | null;
  seedAddresses?: string[];
}

export class TemplatesRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async create(input: {
    eventType: string;
    channel: Channel;
    locale?: string;
    name: string;
    content: Record<string, unknown>;
    testData?: Record<string, unknown>;
    seedAddresses?: string[];
  }): Promise<TemplateRecord> {
    const type = await this.prisma.eventType.findUnique({ where: { key: input.eventType } });
    if (!type) {
      throw unprocessable(`No event type "${input.eventType}" exists`, [
        { path: '/eventType', message: 'unknown event type' },
      ]);
    }
    const row = await this.prisma.template.create({
      data: {
        eventTypeId: type.id,
        channel: input.channel,
        locale: input.locale ?? '',
        name: input.name,
        content: input.content as Prisma.InputJsonValue,
        testData: (input.testData as Prisma.InputJsonValue | undefined) ?? Prisma.DbNull,
        seedAddresses: input.seedAddresses ?? [],
      },
      include,
    });
    return toTemplate(row);
  }

  async list(filter: { eventType?: string; channel?: Channel }): Promise<TemplateRecord[]> {
    const rows = await this.prisma.template.findMany({
      where: {
        ...(filter.eventType ? { eventType: { key: filter.eventType } } : {}),
        ...(filter.channel ? { channel: filter.channel } : {}),
      },
      include,
      orderBy: { createdAt: 'asc' },
    });
    return rows.map(toTemplate);
  }

  async get(id: string): Promise<TemplateRecord> {
    const row = await this.prisma.template.findUnique({ where: { id }, include }).catch(() => null);
    if (!row) throw notFound(`Template "${id}"`);
    return toTemplate(row);
  }

  async update(id: string, draft: TemplateDraft): Promise<TemplateRecord> {
    const current = await this.get(id);
    if (draft.locale !== undefined && draft.locale !== (current.locale ?? '') && current.state !== 'draft') {
      throw conflict('Unpublish the template before changing its locale');
    }
    const row = await this.prisma.template.update({
      where: { id },
      data: {
        name: draft.name,
        locale: draft.locale,
        content: draft.content as Prisma.InputJsonValue | undefined,
        testData:
          draft.testData === undefined
            ? undefined
            : draft.testData === null
              ? Prisma.DbNull
              : (draft.testData as Prisma.InputJsonValue),
        seedAddresses: draft.seedAddresses,
      },
      include,
    });
    return toTemplate(row);
  }

  async delete(id: string): Promise<void> {
    const current = await this.get(id);
    if (current.state !== 'draft') throw conflict('The template is published; unpublish it first');
    await this.prisma.template.delete({ where: { id } });
  }

  /**
   * Freezes the draft as the next numbered version and routes the template's (event type,
   * channel, locale) to it, in one transaction: a refused publish leaves no version behind.
   */
  async publishNewVersion(
    templateId: string,
    frozen: { content: Record<string, unknown>; compiledHtml: string | null; warnings: unknown[] },
  ): Promise<VersionRecord> {
    const template = await this.get(templateId);
    for (let attempt = 0; ; attempt++) {
      try {
        const row = await this.prisma.$transaction(async (tx) => {
          const held = await this.claimPublication(tx, template);
          const latest = await tx.templateVersion.aggregate({ where: { templateId }, _max: { version: true } });
          const version = await tx.templateVersion.create({
            data: {
              templateId,
              version: (latest._max.version ?? 0) + 1,
              content: frozen.content as Prisma.InputJsonValue,
              compiledHtml: frozen.compiledHtml,
              warnings: frozen.warnings as Prisma.InputJsonValue,
            },
          });
          await this.route(tx, template, version.id, held);
          return version;
        });
        return toVersion(row, template.channel);
      } catch (error) {
        // Two publishes at once: the loser takes the next number.
        if (isUniqueViolation(error) && attempt < 5) continue;
        throw error;
      }
    }
  }

  /** Routes the template back to one of its earlier versions (rollback). */
  async republish(templateId: string, version: number): Promise<VersionRecord> {
    const target = await this.getVersion(templateId, version);
    const template = await this.get(templateId);
    await this.prisma.$transaction(async (tx) => {
      const held = await this.claimPublication(tx, template);
      await this.route(tx, template, target.id, held);
    });
    return target;
  }

  private publicationKey(template: TemplateRecord) {
    return { eventTypeId: template.eventTypeId, channel: template.channel, locale: template.locale ?? '' };
  }

  /** Refuses when another template holds the slot; says whether this one holds it already. */
  private async claimPublication(tx: Prisma.TransactionClient, template: TemplateRecord): Promise<boolean> {
    const holder = await tx.publication.findUnique({
      where: { eventTypeId_channel_locale: this.publicationKey(template) },
    });
    if (holder && holder.templateId !== template.id) {
      throw conflict(
        `Template ${holder.templateId} is already published for ${template.eventType}/${template.channel}` +
          `${template.locale ? `/${template.locale}` : ''}; unpublish it first`,
      );
    }
    return holder !== null;
  }

  /** A create, not an upsert, when the slot is free: of two racing templates the second
   * hits the primary key and, on its retry, sees the first as the holder. */
  private async route(tx: Prisma.TransactionClient, template: TemplateRecord, versionId: number, held: boolean): Promise<void> {
    const key = this.publicationKey(template);
    if (held) await tx.publication.update({ where: { eventTypeId_channel_locale: key }, data: { versionId } });
    else await tx.publication.create({ data: { ...key, templateId: template.id, versionId } });
  }

  async unpublish(templateId: string): Promise<TemplateRecord> {
    const { count } = await this.prisma.publication.deleteMany({ where: { templateId } });
    if (count === 0) {
      await this.get(templateId);
      throw conflict('The template is not published');
    }
    return this.get(templateId);
  }

  async setPaused(templateId: string, paused: boolean): Promise<TemplateRecord> {
    const { count } = await this.prisma.publication.updateMany({ where: { templateId }, data: { paused } });
    if (count === 0) {
      await this.get(templateId);
      throw conflict('The template is not published');
    }
    return this.get(templateId);
  }

  async listVersions(templateId: string): Promise<(VersionRecord & { published: boolean })[]> {
    const template = await this.get(templateId);
    const rows = await this.prisma.templateVersion.findMany({ where: { templateId }, orderBy: { version: 'asc' } });
    return rows.map((row) => ({
      ...toVersion(row, template.channel),
      published: template.publishedVersion === row.version,
    }));
  }

  async getVersion(templateId: string, version: number): Promise<VersionRecord> {
    const template = await this.get(templateId);
    const row = await this.prisma.templateVersion.findUnique({ where: { templateId_version: { templateId, version } } });
    if (!row) throw notFound(`Version ${version} of template "${templateId}"`);
    return toVersion(row, template.channel);
  }

  /**
   * The publication serving an event, best locale first (candidates from localeCandidates),
   * or undefined when nothing is published for the type and channel.
   */
  async findRoute(eventTypeId: number, channel: Channel, locales: readonly string[]): Promise<RouteRecord | undefined> {
    const rows = await this.prisma.publication.findMany({
      where: { eventTypeId, channel, locale: { in: [...locales] } },
      include: { version: true },
    });
    rows.sort((a, b) => locales.indexOf(a.locale) - locales.indexOf(b.locale));
    const best = rows[0];
    return best ? { paused: best.paused, locale: best.locale, version: toVersion(best.version, channel) } : undefined;
  }
}
