import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { quoteIdent, schemaOf } from './connection';
import { PrismaClient } from './generated/prisma/client';

export interface CreatePrismaClientOptions {
  databaseUrl: string;
  /** Postgres schema holding the tables; defaults to the URL's `?schema=`, else `public`. */
  schema?: string;
  /** Connection pool size; pg's default (10) when unset. */
  poolMax?: number;
}

export function createPrismaClient(opts: CreatePrismaClientOptions): PrismaClient {
  const schema = opts.schema ?? schemaOf(opts.databaseUrl);
  const adapter = new PrismaPg(
    {
      connectionString: opts.databaseUrl,
      max: opts.poolMax,
      // Prisma qualifies its own queries with `schema`; search_path makes raw SQL land there too.
      // JIT off: our statements are short, and a statement over every partition of the event
      // log (a sweep, a lookup by provider message id) is costed as the sum of ~90 partitions,
      // enough to cross jit_above_cost and spend 100+ ms compiling a query that runs in 1 ms.
      options: `-c search_path=${libpqOptionValue(quoteIdent(schema))} -c jit=off`,
    },
    { schema, statementNameGenerator: preparedStatementName },
  );
  return new PrismaClient({ adapter });
}

// In libpq's `options`, a space or backslash inside a value must be backslash-escaped.
const libpqOptionValue = (value: string): string => value.replace(/[\\ ]/g, '\\$&');

/**
 * Marks a raw statement to be prepared once per connection and then only executed: for the
 * hot path's fixed statements (the worker's begin and settle), where parsing and planning
 * afresh each time was about two thirds of what a statement cost Postgres (measured: 0.95 ms
 * of backend CPU unnamed, 0.35 ms prepared). Only statements whose text never varies may
 * carry it: every distinct text stays prepared on every connection.
 */
export const PREPARED = '/* prepared */';

const statementNames = new Map<string, string>();

/** A name per distinct marked text (pg refuses one name for two texts); undefined: unnamed, not kept. */
function preparedStatementName(query: { sql: string }): string {
  if (!query.sql.startsWith(PREPARED)) return undefined as unknown as string;
  let name = statementNames.get(query.sql);
  if (name === undefined) {
    name = `mc_${createHash('sha1').update(query.sql).digest('hex').slice(0, 24)}`;
    statementNames.set(query.sql, name);
  }
  return name;
}
