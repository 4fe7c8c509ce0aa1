/**
 * The audit log: who changed what through the admin API, and when. Rows are only added (and
 * removed by retention, EVENT_RETENTION_DAYS, with the events); nothing updates them.
 */
import type { PrismaClient, AuditEntry } from './generated/prisma/client';
import { Prisma } from './generated/prisma/client';

export interface AuditActor {
  /** The API key's id (`12`); null for the bootstrap keys from the environment. */
  keyId: string | null;
  name: string;
}

export interface NewAuditEntry {
  actor: AuditActor;
  /** `<targetType>.<verb>`, e.g. `template.publish`, `apiKey.revoke`. */
  action: string;
  target: { type: string; id: string };
  details?: Record<string, unknown>;
}

export interface AuditRecord extends NewAuditEntry {
  id: bigint;
  at: Date;
}

export interface AuditQuery {
  action?: string;
  targetType?: string;
  targetId?: string;
  limit: number;
  /** Id of the last entry of the previous page (pages go newest first). */
  before?: bigint;
}

/** A client to write with: the repository's own, or a transaction's (to record with the change). */
type Writer = Pick<PrismaClient, 'auditEntry'> | Prisma.TransactionClient;

const toRecord = (row: AuditEntry): AuditRecord => ({
  id: row.id,
  at: row.at,
  actor: { keyId: row.actorKeyId, name: row.actorName },
  action: row.action,
  target: { type: row.targetType, id: row.targetId },
  ...(row.details !== null ? { details: row.details as Record<string, unknown> } : {}),
});

export class AuditLogRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Adds one entry, through `tx` when given so it commits (or not) with the change it records. */
  async record(entry: NewAuditEntry, tx: Writer = this.prisma): Promise<void> {
    await tx.auditEntry.create({
      data: {
        actorKeyId: entry.actor.keyId,
        actorName: entry.actor.name,
        action: entry.action,
        targetType: entry.target.type,
        targetId: entry.target.id,
        details: entry.details === undefined ? Prisma.DbNull : (entry.details as Prisma.InputJsonValue),
      },
    });
  }

  /** Newest first; `before` pages on. */
  async list(query: AuditQuery): Promise<AuditRecord[]> {
    const rows = await this.prisma.auditEntry.findMany({
      where: {
        ...(query.action ? { action: query.action } : {}),
        ...(query.targetType ? { targetType: query.targetType } : {}),
        ...(query.targetId ? { targetId: query.targetId } : {}),
        ...(query.before !== undefined ? { id: { lt: query.before } } : {}),
      },
      orderBy: { id: 'desc' },
      take: query.limit,
    });
    return rows.map(toRecord);
  }

  /** Deletes entries older than `cutoff` (retention); returns how many. */
  async purgeBefore(cutoff: Date): Promise<number> {
    const { count } = await this.prisma.auditEntry.deleteMany({ where: { at: { lt: cutoff } } });
    return count;
  }
}
