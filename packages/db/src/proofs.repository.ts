/** Proofs: drafts sent to seed addresses for review. Kept apart from events and deliveries so
 * they never count as the delivery of a real event. */
import type { Channel } from '@mc/core';
import type { PrismaClient } from './generated/prisma/client';

export interface ProofRecord {
  id: number;
  templateId: string;
  channel: Channel;
  to: string[];
  provider: string;
  providerMessageId: string | null;
  error: string | null;
  createdAt: Date;
}

export class ProofsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async record(proof: Omit<ProofRecord, 'id' | 'createdAt'>): Promise<ProofRecord> {
    return this.prisma.proof.create({ data: proof });
  }

  async listForTemplate(templateId: string, limit = 50): Promise<ProofRecord[]> {
    return this.prisma.proof.findMany({ where: { templateId }, orderBy: { id: 'desc' }, take: limit });
  }

  /** Retention: deletes proofs sent before `cutoff` (they hold seed addresses). Returns how many. */
  async purgeBefore(cutoff: Date): Promise<number> {
    const { count } = await this.prisma.proof.deleteMany({ where: { createdAt: { lt: cutoff } } });
    return count;
  }
}
