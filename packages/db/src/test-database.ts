import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { quoteIdent, withSchema } from './connection';
import type { PrismaClient } from './generated/prisma/client';
import { applyMigrations } from './migrate';
import { createPrismaClient } from './prisma';

export interface TestSchema {
  /** `t_<random>`, unique per call. */
  schema: string;
  /** `databaseUrl` with `?schema=`, for code under test that builds its own clients. */
  url: string;
  prisma: PrismaClient;
  /** Disconnects `prisma` and drops the schema with everything in it. Safe to call twice. */
  drop(): Promise<void>;
}

/**
 * A freshly migrated Postgres schema of its own, so integration tests can run in parallel
 * against one database without seeing each other's rows.
 */
export async function createTestSchema(databaseUrl: string): Promise<TestSchema> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const dropSchema = () => dropSchemaCascade(databaseUrl, schema);
  try {
    await applyMigrations({ databaseUrl, schema });
  } catch (err) {
    await dropSchema();
    throw err;
  }
  // A small pool: many test files hold a client at once against one Postgres.
  const prisma = createPrismaClient({ databaseUrl, schema, poolMax: 4 });
  let dropped: Promise<void> | undefined;
  return {
    schema,
    url: withSchema(databaseUrl, schema),
    prisma,
    drop: () => (dropped ??= prisma.$disconnect().then(dropSchema)),
  };
}

async function dropSchemaCascade(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}
