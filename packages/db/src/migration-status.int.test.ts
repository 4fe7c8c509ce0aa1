/** The start-up gate and the readiness check against the running Postgres, each case in its own schema. */
import { randomBytes, randomUUID } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { DEFAULT_DATABASE_URL, quoteIdent, withSchema } from './connection';
import { applyMigrations, DEFAULT_MIGRATIONS_DIR } from './migrate';
import { migrationStatus, MigrationsMissingError, requireMigrations, shippedMigrations } from './migration-status';
import { createTestSchema } from './test-database';

const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
const INIT = '20261127000000_init';
const client = new pg.Client({ connectionString: databaseUrl });
const schemas: string[] = [];
const tempDirs: string[] = [];

const freshSchema = async (migrated: boolean) => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  if (migrated) await applyMigrations({ databaseUrl, schema });
  else await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
  return schema;
};

beforeAll(() => client.connect());
afterAll(async () => {
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  await client.end();
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

test('the shipped migrations are found where the build keeps them', async () => {
  expect(await shippedMigrations()).toContain(INIT);
  await expect(shippedMigrations('/nonexistent/migrations')).rejects.toThrow('migrations directory not found: /nonexistent/migrations');
});

test('an unreachable Postgres is refused, saying so', async () => {
  await expect(requireMigrations({ databaseUrl: 'postgresql://postgres@127.0.0.1:1/test' })).rejects.toThrow(
    /^cannot read the migration history: Postgres unreachable \(.*ECONNREFUSED/,
  );
});

test('an empty schema is refused, naming the missing migration and what to run', async () => {
  const schema = await freshSchema(false);
  const refusal = requireMigrations({ databaseUrl: withSchema(databaseUrl, schema) });
  await expect(refusal).rejects.toBeInstanceOf(MigrationsMissingError);
  const shipped = await shippedMigrations();
  await expect(refusal).rejects.toThrow(
    `lacks ${shipped.length === 1 ? 'migration' : 'migrations'} ${shipped.join(', ')} shipped with this release: run npm run migrate`,
  );
});

test('a migrated schema passes; a newer release’s migration only warns', async () => {
  const schema = await freshSchema(true);
  const warnings: string[] = [];
  expect(await requireMigrations({ databaseUrl, schema, warn: (m) => warnings.push(m) })).toEqual({ missing: [], unknown: [] });
  expect(warnings).toEqual([]);

  const newer = '29991231000000_from_the_future';
  await client.query(
    `INSERT INTO ${quoteIdent(schema)}._prisma_migrations (id, checksum, migration_name, finished_at, applied_steps_count)
     VALUES ($1, 'x', $2, now(), 1)`,
    [randomUUID(), newer],
  );
  expect(await requireMigrations({ databaseUrl, schema, warn: (m) => warnings.push(m) })).toEqual({ missing: [], unknown: [newer] });
  expect(warnings).toEqual([expect.stringContaining(newer)]);
});

test('a rolled-back migration, or one this build ships that the database lacks, counts as missing', async () => {
  const schema = await freshSchema(true);
  const dir = await mkdtemp(path.join(tmpdir(), 'mc-migrations-'));
  tempDirs.push(dir);
  await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  const next = '29990101000000_next';
  await mkdir(path.join(dir, next));
  await writeFile(path.join(dir, next, 'migration.sql'), 'SELECT 1;');
  await expect(requireMigrations({ databaseUrl, schema, migrationsDir: dir })).rejects.toMatchObject({ missing: [next] });

  await client.query(`UPDATE ${quoteIdent(schema)}._prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1`, [INIT]);
  await expect(requireMigrations({ databaseUrl, schema })).rejects.toMatchObject({ missing: [INIT] });
});

test('a running service reads the same status through its Prisma client, also after its schema is dropped', async () => {
  const db = await createTestSchema(databaseUrl);
  try {
    const shipped = await shippedMigrations();
    const query = (sql: string) => db.prisma.$queryRawUnsafe<Record<string, unknown>[]>(sql);
    expect(await migrationStatus(query, shipped)).toEqual({ missing: [], unknown: [] });
    await client.query(`DROP SCHEMA ${quoteIdent(db.schema)} CASCADE`);
    expect(await migrationStatus(query, shipped)).toEqual({ missing: shipped, unknown: [] });
  } finally {
    await db.drop();
  }
});
