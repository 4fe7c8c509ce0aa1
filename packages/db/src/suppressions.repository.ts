/** The suppression list (Adobe's quarantine): addresses never to send to, with the reason. */
import { conflict, notFound, type Channel } from '@mc/core';
import type { PrismaClient, Suppression } from './generated/prisma/client';
import { isUniqueViolation } from './errors';

export interface SuppressionRecord {
  id: number;
  channel: Channel;
  address: string;
  reason: string;
  source: string | null;
  createdAt: Date;
}

const toRecord = (row: Suppression): SuppressionRecord => ({ ...row });

/** Addresses compare case-insensitively for email; others as given. */
export function suppressionAddress(channel: Channel, address: string): string {
  return channel === 'email' ? address.trim().toLowerCase() : address.trim();
}

export class SuppressionsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async list(filter: { channel?: Channel; address?: string; limit?: number }): Promise<SuppressionRecord[]> {
    const rows = await this.prisma.suppression.findMany({
      where: {
        ...(filter.channel ? { channel: filter.channel } : {}),
        ...(filter.address && filter.channel ? { address: suppressionAddress(filter.channel, filter.address) } : {}),
      },
      orderBy: { id: 'desc' },
      take: filter.limit ?? 500,
    });
    return rows.map(toRecord);
  }

  async add(entry: { channel: Channel; address: string; reason: string; source?: string }): Promise<SuppressionRecord> {
    try {
      const row = await this.prisma.suppression.create({
        data: { ...entry, address: suppressionAddress(entry.channel, entry.address), source: entry.source ?? null },
      });
      return toRecord(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`${entry.address} is already suppressed on ${entry.channel}`);
      throw error;
    }
  }

  /** Adds or refreshes an entry (used by the worker when a provider reports a dead address). */
  async upsert(entry: { channel: Channel; address: string; reason: string; source?: string }): Promise<void> {
    const address = suppressionAddress(entry.channel, entry.address);
    await this.prisma.suppression.upsert({
      where: { channel_address: { channel: entry.channel, address } },
      create: { ...entry, address, source: entry.source ?? null },
      update: { reason: entry.reason, source: entry.source ?? null },
    });
  }

  async remove(id: number): Promise<void> {
    const { count } = await this.prisma.suppression.deleteMany({ where: { id } });
    if (count === 0) throw notFound(`Suppression ${id}`);
  }
}
