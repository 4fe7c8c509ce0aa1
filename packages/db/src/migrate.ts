import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { quoteIdent, schemaOf } from './connection';
import { splitSqlStatements } from './sql-statements';

export interface ApplyMigrationsOptions {
  databaseUrl: string;
  /** Postgres schema to migrate, created when missing; defaults to the URL's `?schema=`, else `public`. */
  schema?: string;
  migrationsDir?: string;
  log?: (msg: string) => void;
}

// src/ and dist/ sit at the same depth, so one relative path serves jest and the build.
export const DEFAULT_MIGRATIONS_DIR = path.resolve(__dirname, '../../../prisma/migrations');

// Prisma's own key, so this runner and `prisma migrate deploy` also exclude each other.
const ADVISORY_LOCK_KEY = 72707369;

// Prisma's DDL for its history table, so Prisma tooling can read what this runner records.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

interface LocalMigration {
  name: string;
  script: string;
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  started_at: Date;
}

export const migrationChecksum = (script: string): string =>
  createHash('sha256').update(script, 'utf8').digest('hex');

// Like Prisma, accept a script whose only change is CRLF line endings from a Windows checkout.
const matchesChecksum = (script: string, checksum: string): boolean =>
  migrationChecksum(script) === checksum ||
  migrationChecksum(script.replaceAll('\r\n', '\n')) === checksum;

async function readMigrations(dir: string): Promise<LocalMigration[]> {
  if (!existsSync(dir)) throw new Error(`migrations directory not found: ${dir}`);
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name, 'migration.sql');
      if (!existsSync(file)) throw new Error(`migration ${name} has no migration.sql (${file})`);
      return { name, script: await readFile(file, 'utf8') };
    }),
  );
}

/**
 * A migration whose script starts with this line (comments and blank lines may come first) runs
 * outside a transaction, one statement at a time: for what Postgres refuses inside one
 * (`CREATE INDEX CONCURRENTLY`, `ALTER TYPE … ADD VALUE` used in the same script, ...).
 */
export const NO_TRANSACTION_MARKER = '-- mc:no-transaction';

/** Whether the script asks to run outside a transaction (the marker among its leading comments). */
export function runsOutsideTransaction(script: string): boolean {
  for (const line of script.split(/\r?\n/)) {
    const text = line.trim();
    if (text === NO_TRANSACTION_MARKER) return true;
    if (text !== '' && !text.startsWith('--')) return false;
  }
  return false;
}

/**
 * Applies pending migrations the way `prisma migrate deploy` records them, each in its own
 * transaction (so a failed migration leaves neither half its DDL nor a history row behind).
 * A migration marked `-- mc:no-transaction` runs statement by statement instead; when one of
 * its statements fails, what ran before stays, and its history row stays unfinished, so the
 * runner refuses to go on until someone has looked (as Prisma does for any failed migration).
 */
export async function applyMigrations(opts: ApplyMigrationsOptions): Promise<{ applied: string[] }> {
  const schema = opts.schema ?? schemaOf(opts.databaseUrl);
  const log = opts.log ?? (() => {});
  const migrations = await readMigrations(opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);

  const client = new pg.Client({ connectionString: opts.databaseUrl });
  await client.connect();
  try {
    // Taken first, as concurrent runs would otherwise race to create the schema and tables.
    // Session-level, so closing the connection releases it whatever happens below.
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
    // Checked first: CREATE SCHEMA needs the CREATE privilege even when the schema exists.
    const existing = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (existing.rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    await client.query(`SET search_path TO ${quoteIdent(schema)}`);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const pending = await pendingMigrations(client, migrations, log);
    for (const migration of pending) {
      await applyOne(client, migration);
      log(`applied ${migration.name}`);
    }
    return { applied: pending.map((m) => m.name) };
  } finally {
    await client.end();
  }
}

async function pendingMigrations(
  client: pg.Client,
  migrations: LocalMigration[],
  log: (msg: string) => void,
): Promise<LocalMigration[]> {
  const { rows } = await client.query<MigrationRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at, started_at
       FROM _prisma_migrations ORDER BY started_at`,
  );
  const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
  if (failed) {
    throw new Error(
      `migration ${failed.migration_name} failed in this database (started ${failed.started_at.toISOString()}); ` +
        'fix the database, then set rolled_back_at on its _prisma_migrations row before migrating again',
    );
  }
  const applied = new Map(
    rows.filter((r) => r.finished_at !== null && r.rolled_back_at === null).map((r) => [r.migration_name, r]),
  );
  const local = new Set(migrations.map((m) => m.name));
  for (const name of applied.keys()) {
    if (!local.has(name)) log(`warning: applied migration ${name} is not in the migrations directory`);
  }
  for (const m of migrations) {
    const row = applied.get(m.name);
    if (row && !matchesChecksum(m.script, row.checksum)) {
      throw new Error(
        `migration ${m.name} was modified after it was applied (database checksum ${row.checksum}, ` +
          `file checksum ${migrationChecksum(m.script)}); restore it and put the change in a new migration`,
      );
    }
  }
  return migrations.filter((m) => !applied.has(m.name));
}

async function applyOne(client: pg.Client, migration: LocalMigration): Promise<void> {
  if (runsOutsideTransaction(migration.script)) return applyOutsideTransaction(client, migration);
  const id = randomUUID();
  await client.query('BEGIN');
  try {
    await client.query(
      'INSERT INTO _prisma_migrations (id, checksum, migration_name) VALUES ($1, $2, $3)',
      [id, migrationChecksum(migration.script), migration.name],
    );
    await client.query(migration.script);
    await client.query(
      `UPDATE _prisma_migrations SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`migration ${migration.name} failed and was rolled back: ${reason}`, { cause: err });
  }
}

async function applyOutsideTransaction(client: pg.Client, migration: LocalMigration): Promise<void> {
  const statements = splitSqlStatements(migration.script);
  const id = randomUUID();
  // Recorded first and unfinished: a crash midway is then visible as a failed migration.
  await client.query('INSERT INTO _prisma_migrations (id, checksum, migration_name) VALUES ($1, $2, $3)', [
    id,
    migrationChecksum(migration.script),
    migration.name,
  ]);
  let done = 0;
  try {
    for (const statement of statements) {
      await client.query(statement);
      done++;
    }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const logs = `statement ${done + 1} of ${statements.length} failed: ${reason}`;
    await client.query('UPDATE _prisma_migrations SET logs = $2, applied_steps_count = $3 WHERE id = $1', [id, logs, done]);
    throw new Error(
      `migration ${migration.name} (outside a transaction) failed at statement ${done + 1} of ${statements.length}, ` +
        `after ${done} applied: ${reason}; repair the database, then set rolled_back_at on its _prisma_migrations row`,
      { cause: err },
    );
  }
  await client.query(
    'UPDATE _prisma_migrations SET finished_at = clock_timestamp(), applied_steps_count = $2 WHERE id = $1',
    [id, statements.length],
  );
}
