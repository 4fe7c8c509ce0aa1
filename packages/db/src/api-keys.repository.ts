/** API keys, stored as SHA-256 hashes. Keys are long random strings, so a fast hash is enough
 * (no password stretching needed) and lookups stay cheap on the request path. */
import { createHash, randomBytes } from 'node:crypto';
import { notFound } from '@mc/core';
import type { PrismaClient, ApiKey } from './generated/prisma/client';

/**
 * `feedback`: may post bounce and complaint reports (POST /v1/feedback/email), nothing else.
 * `metrics`: may read GET /metrics, nothing else (a Prometheus scraper's key).
 */
export const API_KEY_SCOPES = ['admin', 'events:write', 'feedback', 'metrics'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface ApiKeyRecord {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

const toRecord = (row: ApiKey): ApiKeyRecord => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  scopes: row.scopes,
  createdAt: row.createdAt,
  lastUsedAt: row.lastUsedAt,
  revokedAt: row.revokedAt,
});

export class ApiKeysRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Creates a key; the plain key is returned only here. */
  async create(name: string, scopes: readonly ApiKeyScope[]): Promise<{ key: string; record: ApiKeyRecord }> {
    const key = `mc_${randomBytes(24).toString('base64url')}`;
    const row = await this.prisma.apiKey.create({
      data: { name, prefix: key.slice(0, 8), hash: hashApiKey(key), scopes: [...scopes] },
    });
    return { key, record: toRecord(row) };
  }

  /** The active key with this hash, if any. */
  async findActiveByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.prisma.apiKey.findUnique({ where: { hash } });
    return row && !row.revokedAt ? toRecord(row) : undefined;
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (await this.prisma.apiKey.findMany({ orderBy: { id: 'asc' } })).map(toRecord);
  }

  async revoke(id: number): Promise<void> {
    const { count } = await this.prisma.apiKey.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (count === 0) throw notFound(`API key ${id}`);
  }

  async touch(id: number): Promise<void> {
    await this.prisma.apiKey.update({ where: { id }, data: { lastUsedAt: new Date() } });
  }
}
