import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { quoteIdent, schemaOf } from './connection';
import { PrismaClient, type Prisma } from './generated/prisma/client';

export interface CreatePrismaClientOptions {
  databaseUrl: string;
  /** Postgres schema holding the tables; defaults to the URL's `?schema=`, else `public`. */
  schema?: string;
  /** Connection pool size; pg's default (10) when unset. */
  poolMax?: number;
}

export function createPrismaClient(opts: CreatePrismaClientOptions): PrismaClient {
  const schema = opts.schema ?? schemaOf(opts.databaseUrl);
  // One pg pool under the client, which the hot path's statements also use directly (see
  // queryPrepared): both see the same sessions, with the same search_path and settings.
  const pool = new pg.Pool({
    connectionString: opts.databaseUrl,
    max: opts.poolMax,
    // Prisma qualifies its own queries with `schema`; search_path makes raw SQL land there too.
    // JIT off: our statements are short, and a statement over every partition of the event
    // log (a sweep, a lookup by provider message id) is costed as the sum of ~90 partitions,
    // enough to cross jit_above_cost and spend 100+ ms compiling a query that runs in 1 ms.
    options: `-c search_path=${libpqOptionValue(quoteIdent(schema))} -c jit=off`,
  });
  // A connection that breaks while idle is dropped by the pool and replaced on the next query;
  // unheard, its 'error' event would end the process.
  pool.on('error', () => undefined);
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { schema, disposeExternalPool: true }) });
  pools.set(client, pool);
  return client;
}

/** What the hot path needs of a pg pool (a narrower type lets tests count the statements). */
export type SqlPool = Pick<pg.Pool, 'query'>;

const pools = new WeakMap<PrismaClient, pg.Pool>();

/** The pg pool under a client made by createPrismaClient (undefined for any other client). */
export function pgPoolOf(prisma: PrismaClient): pg.Pool | undefined {
  return pools.get(prisma);
}

// In libpq's `options`, a space or backslash inside a value must be backslash-escaped.
const libpqOptionValue = (value: string): string => value.replace(/[\\ ]/g, '\\$&');

/**
 * Runs one of the hot path's fixed statements (the worker's begin and settle) on pg directly:
 * prepared once per connection and then only executed, and without Prisma's query engine in
 * between. Parsing and planning afresh each time was about two thirds of what a statement cost
 * Postgres (measured: 0.95 ms of backend CPU unnamed, 0.35 ms prepared); Prisma's `$queryRaw`
 * (query compiler, argument and result mapping) cost the worker 0.43 ms of CPU per message
 * in small batches where pg costs 0.23 ms. Only statements whose text never varies may come
 * here: every distinct text stays prepared on every connection. Rows come as pg parses them
 * (int8 as a string).
 */
export async function queryPrepared<R>(pool: SqlPool, statement: Prisma.Sql): Promise<R[]> {
  // Prisma.Sql builds its text anew on every read.
  const text = statement.text;
  const result = await pool.query({ name: preparedStatementName(text), text, values: statement.values });
  return result.rows as R[];
}

const statementNames = new Map<string, string>();

/** A name per distinct text (pg refuses one name for two texts). */
function preparedStatementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `mc_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}
