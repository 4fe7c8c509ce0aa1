/**
 * Whether the database holds every migration this build ships, read from the history table
 * `_prisma_migrations` that `npm run migrate` (and `prisma migrate deploy`) write. The services
 * refuse to start without them and `/readyz` reports them, so an unmigrated or reset database
 * shows up as "run npm run migrate" rather than as a 500 on every request.
 *
 * Migrations are additive and run before new pods start (rolling deploys): an applied migration
 * this build does not know is a newer release's, and only worth a warning.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { quoteIdent, schemaOf } from './connection';
import { DEFAULT_MIGRATIONS_DIR } from './migrate';

export interface MigrationStatus {
  /** Shipped with this build and not (successfully) applied: the service must not run. */
  missing: string[];
  /** Applied in the database but not shipped with this build: a newer release's; harmless. */
  unknown: string[];
}

/** Runs one SQL query and returns its rows: a pg client or Prisma's `$queryRawUnsafe` both fit. */
export type SqlQuery = (sql: string) => Promise<Record<string, unknown>[]>;

/** The migration names this build ships (folders holding a migration.sql), in order. */
export async function shippedMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<string[]> {
  // Said plainly: a build whose migrations are missing from the image would otherwise look
  // like a database with nothing to apply.
  if (!existsSync(dir)) throw new Error(`migrations directory not found: ${dir}`);
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort();
}

/**
 * The names of the migrations applied (finished, not rolled back) in the schema the query runs
 * against (its search_path); none when the history table does not exist yet.
 */
export async function appliedMigrations(query: SqlQuery): Promise<string[]> {
  const [table] = await query(`SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present`);
  if (!table?.present) return [];
  const rows = await query(
    `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
  return rows.map((row) => String(row.migration_name));
}

export function compareMigrations(shipped: readonly string[], applied: readonly string[]): MigrationStatus {
  const done = new Set(applied);
  const known = new Set(shipped);
  return {
    missing: shipped.filter((name) => !done.has(name)),
    unknown: [...done].filter((name) => !known.has(name)).sort(),
  };
}

/** Reads the status through a query function (e.g. a running service's Prisma client). */
export async function migrationStatus(query: SqlQuery, shipped: readonly string[]): Promise<MigrationStatus> {
  return compareMigrations(shipped, await appliedMigrations(query));
}

/** The one sentence operators see, from start-up and from /readyz. */
export function describeMissingMigrations(missing: readonly string[]): string {
  return `the database lacks ${missing.length === 1 ? 'migration' : 'migrations'} ${missing.join(', ')} shipped with this release: run npm run migrate`;
}

export class MigrationsMissingError extends Error {
  constructor(readonly missing: readonly string[]) {
    super(describeMissingMigrations(missing));
    this.name = 'MigrationsMissingError';
  }
}

export interface RequireMigrationsOptions {
  databaseUrl: string;
  /** Postgres schema; defaults to the URL's `?schema=`, else `public`. */
  schema?: string;
  migrationsDir?: string;
  /** Told about applied migrations this build does not know (a newer release ran first). */
  warn?: (message: string) => void;
}

/**
 * Start-up gate for the services: resolves when every shipped migration is applied, throws
 * MigrationsMissingError (naming them, saying to run `npm run migrate`) when not. A connection
 * failure is thrown as it is: a service that cannot read its schema does not start either.
 */
export async function requireMigrations(options: RequireMigrationsOptions): Promise<MigrationStatus> {
  const shipped = await shippedMigrations(options.migrationsDir);
  const schema = options.schema ?? schemaOf(options.databaseUrl);
  const client = new pg.Client({ connectionString: options.databaseUrl });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`cannot read the migration history: Postgres unreachable (${reasonOf(error)})`, { cause: error });
  }
  let status: MigrationStatus;
  try {
    await client.query(`SET search_path TO ${quoteIdent(schema)}`);
    status = await migrationStatus(async (sql) => (await client.query(sql)).rows, shipped);
  } finally {
    await client.end();
  }
  if (status.missing.length > 0) throw new MigrationsMissingError(status.missing);
  if (status.unknown.length > 0) {
    options.warn?.(
      `the database has migrations this release does not know (${status.unknown.join(', ')}); ` +
        'fine during a rolling deploy, when a newer release migrated first',
    );
  }
  return status;
}

// Node reports a refused connection to a dual-stack host as an AggregateError with no message.
function reasonOf(error: unknown): string {
  const { message, errors } = (error ?? {}) as { message?: unknown; errors?: unknown[] };
  if (!message && Array.isArray(errors) && errors.length > 0) return reasonOf(errors[0]);
  return typeof message === 'string' && message ? message : String(error);
}
