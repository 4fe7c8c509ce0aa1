import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { DEFAULT_DATABASE_URL, quoteIdent } from './connection';
import { dayOf } from './event-log-days';
import { applyMigrations, DEFAULT_MIGRATIONS_DIR, migrationChecksum } from './migrate';

const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
const INIT = '20261127000000_init';
const PARTITIONED = '20261130120000_partitioned_event_log';
/** Every migration in the repository, in the order they apply (more are added over time). */
const ALL = readdirSync(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
const TABLES = [
  '_prisma_migrations',
  'api_keys',
  'audit_log',
  'deliveries',
  'event_types',
  'events',
  'proofs',
  'publications',
  'suppressions',
  'template_versions',
  'templates',
  'webhook_endpoints',
  'webhook_messages',
];

const client = new pg.Client({ connectionString: databaseUrl });
const schemas: string[] = [];
const tempDirs: string[] = [];

const freshSchema = () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  return schema;
};

const copyOfMigrations = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'mc-migrations-'));
  tempDirs.push(dir);
  await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
};

const historyOf = async (schema: string) =>
  (
    await client.query(
      `SELECT id, checksum, migration_name, finished_at, logs, rolled_back_at, started_at, applied_steps_count
         FROM ${quoteIdent(schema)}._prisma_migrations ORDER BY started_at`,
    )
  ).rows;

/** The schema's tables, partitions left out (they are listed by partitionsOf). */
const tablesOf = async (schema: string) =>
  (
    await client.query<{ table_name: string }>(
      `SELECT c.relname AS table_name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname`,
      [schema],
    )
  ).rows.map((r) => r.table_name);

const partitionsOf = async (schema: string, table: string) =>
  (
    await client.query<{ name: string; bound: string }>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = $1::regclass ORDER BY c.relname`,
      [`${quoteIdent(schema)}.${quoteIdent(table)}`],
    )
  ).rows;

beforeAll(() => client.connect());

afterAll(async () => {
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  await client.end();
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

describe('applyMigrations', () => {
  it('creates the schema and every table, and records each migration as prisma migrate deploy does', async () => {
    const schema = freshSchema();
    const logged: string[] = [];

    const result = await applyMigrations({ databaseUrl, schema, log: (m) => logged.push(m) });

    expect(result).toEqual({ applied: ALL });
    expect(logged).toEqual(ALL.map((name) => `applied ${name}`));
    expect(await tablesOf(schema)).toEqual(TABLES);
    // The event log: a default partition, and today's and the next two days' (UTC).
    const days = [0, 1, 2].map((n) => dayOf(Date.now() + n * 86_400_000));
    for (const table of ['events', 'deliveries']) {
      expect(await partitionsOf(schema, table)).toEqual([
        { name: `${table}_default`, bound: 'DEFAULT' },
        ...days.map((day) => ({ name: `${table}_p${day.suffix}`, bound: `FOR VALUES FROM ('${day.from}') TO ('${day.to}')` })),
      ]);
    }
    const script = await readFile(path.join(DEFAULT_MIGRATIONS_DIR, INIT, 'migration.sql'), 'utf8');
    const [row, ...others] = await historyOf(schema);
    expect(others.map((r) => r.migration_name)).toEqual(ALL.slice(1));
    expect(row).toMatchObject({
      migration_name: INIT,
      checksum: migrationChecksum(script),
      logs: null,
      rolled_back_at: null,
      applied_steps_count: 1,
    });
    expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(row.finished_at.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
  });

  it('applies nothing the second time', async () => {
    const schema = freshSchema();
    await applyMigrations({ databaseUrl, schema });

    expect(await applyMigrations({ databaseUrl, schema })).toEqual({ applied: [] });
    expect(await historyOf(schema)).toHaveLength(ALL.length);
  });

  it('takes the schema from the URL when not given', async () => {
    const schema = freshSchema();
    await applyMigrations({ databaseUrl: `${databaseUrl}?schema=${schema}` });

    expect(await tablesOf(schema)).toEqual(TABLES);
  });

  it('lets concurrent runs on the same fresh schema both succeed, applying each migration once', async () => {
    const schema = freshSchema();

    const results = await Promise.all([
      applyMigrations({ databaseUrl, schema }),
      applyMigrations({ databaseUrl, schema }),
      applyMigrations({ databaseUrl, schema }),
    ]);

    expect(results.flatMap((r) => r.applied)).toEqual(ALL);
    expect(await historyOf(schema)).toHaveLength(ALL.length);
  });

  it('refuses a migration edited after it was applied', async () => {
    const schema = freshSchema();
    const migrationsDir = await copyOfMigrations();
    await applyMigrations({ databaseUrl, schema, migrationsDir });
    const file = path.join(migrationsDir, INIT, 'migration.sql');
    await writeFile(file, `${await readFile(file, 'utf8')}\nCREATE INDEX "later_idx" ON "events"("origin");\n`);

    await expect(applyMigrations({ databaseUrl, schema, migrationsDir })).rejects.toThrow(
      `migration ${INIT} was modified after it was applied`,
    );
  });

  it('refuses to run while a failed migration is recorded', async () => {
    const schema = freshSchema();
    await applyMigrations({ databaseUrl, schema });
    await client.query(
      `INSERT INTO ${quoteIdent(schema)}._prisma_migrations (id, checksum, migration_name, logs)
       VALUES ('00000000-0000-4000-8000-000000000000', 'x', '20261128000000_broken', 'boom')`,
    );

    await expect(applyMigrations({ databaseUrl, schema })).rejects.toThrow(
      'migration 20261128000000_broken failed in this database',
    );
  });

  it('applies new migrations in name order, and rolls back one that fails without recording it', async () => {
    const schema = freshSchema();
    const migrationsDir = await copyOfMigrations();
    await applyMigrations({ databaseUrl, schema, migrationsDir });
    const addMigration = async (name: string, sql: string) => {
      await mkdir(path.join(migrationsDir, name));
      await writeFile(path.join(migrationsDir, name, 'migration.sql'), sql);
    };
    await addMigration('20991129000000_second', 'CREATE TABLE "second" ("id" INTEGER);');
    await addMigration('20991128000000_first', 'CREATE TABLE "first" ("id" INTEGER);');
    await addMigration('20991130000000_broken', 'CREATE TABLE "half" ("id" INTEGER);\nSELECT * FROM "missing";');

    await expect(applyMigrations({ databaseUrl, schema, migrationsDir })).rejects.toThrow(
      'migration 20991130000000_broken failed and was rolled back: relation "missing" does not exist',
    );

    expect((await historyOf(schema)).map((r) => r.migration_name)).toEqual([
      ...ALL,
      '20991128000000_first',
      '20991129000000_second',
    ]);
    const tables = await tablesOf(schema);
    expect(tables).toEqual(expect.arrayContaining(['first', 'second']));
    expect(tables).not.toContain('half');
  });

  it('runs a migration marked -- mc:no-transaction statement by statement, outside a transaction', async () => {
    const schema = freshSchema();
    const migrationsDir = await copyOfMigrations();
    await applyMigrations({ databaseUrl, schema, migrationsDir });
    const concurrently = 'CREATE INDEX CONCURRENTLY "webhook_endpoints_url_idx" ON "webhook_endpoints"("url");';
    // Without the marker Postgres refuses it: the runner's transaction is a transaction block.
    await mkdir(path.join(migrationsDir, '20991201000000_unmarked'));
    await writeFile(path.join(migrationsDir, '20991201000000_unmarked', 'migration.sql'), concurrently);
    await expect(applyMigrations({ databaseUrl, schema, migrationsDir })).rejects.toThrow(
      'CREATE INDEX CONCURRENTLY cannot run inside a transaction block',
    );
    await writeFile(
      path.join(migrationsDir, '20991201000000_unmarked', 'migration.sql'),
      `-- An index built without blocking writes.\n-- mc:no-transaction\n${concurrently}\nCREATE TABLE "after" ("note" TEXT DEFAULT 'a;b');\n`,
    );

    expect(await applyMigrations({ databaseUrl, schema, migrationsDir })).toEqual({ applied: ['20991201000000_unmarked'] });
    const index = await client.query(
      `SELECT x.indisvalid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
        WHERE n.nspname = $1 AND i.relname = 'webhook_endpoints_url_idx'`,
      [schema],
    );
    expect(index.rows).toEqual([{ indisvalid: true }]);
    expect(await tablesOf(schema)).toContain('after');
    expect((await historyOf(schema)).at(-1)).toMatchObject({ migration_name: '20991201000000_unmarked', applied_steps_count: 2 });
  });

  it('records a failed no-transaction migration as failed, keeping what ran, and refuses to go on', async () => {
    const schema = freshSchema();
    const migrationsDir = await copyOfMigrations();
    await applyMigrations({ databaseUrl, schema, migrationsDir });
    await mkdir(path.join(migrationsDir, '20991202000000_half'));
    await writeFile(
      path.join(migrationsDir, '20991202000000_half', 'migration.sql'),
      '-- mc:no-transaction\nCREATE TABLE "kept" ("id" INTEGER);\nSELECT * FROM "missing";\nCREATE TABLE "never" ("id" INTEGER);\n',
    );

    await expect(applyMigrations({ databaseUrl, schema, migrationsDir })).rejects.toThrow(
      'migration 20991202000000_half (outside a transaction) failed at statement 2 of 3, after 1 applied: relation "missing" does not exist',
    );
    const tables = await tablesOf(schema);
    expect(tables).toContain('kept');
    expect(tables).not.toContain('never');
    expect((await historyOf(schema)).at(-1)).toMatchObject({
      migration_name: '20991202000000_half',
      finished_at: null,
      applied_steps_count: 1,
      logs: 'statement 2 of 3 failed: relation "missing" does not exist',
    });
    await expect(applyMigrations({ databaseUrl, schema, migrationsDir })).rejects.toThrow(
      'migration 20991202000000_half failed in this database',
    );
  });

  it('partitions an event log that already holds events, keeping every row, key and sequence', async () => {
    const schema = freshSchema();
    const migrationsDir = await copyOfMigrations();
    await rm(path.join(migrationsDir, PARTITIONED), { recursive: true });
    await applyMigrations({ databaseUrl, schema, migrationsDir });
    const q = (sql: string) => client.query(sql.replaceAll('"t".', `${quoteIdent(schema)}.`));
    await q(`INSERT INTO "t"."event_types" ("key", "label", "updatedAt") VALUES ('T', 'T', now())`);
    // Events of three days (one a year back), each with a delivery; ids are time-ordered.
    const days = [dayOf(Date.now() - 365 * 86_400_000), dayOf(Date.now() - 86_400_000), dayOf(Date.now())];
    const ids = days.flatMap((day) => [day.from, day.from + 4096n]);
    await q(`INSERT INTO "t"."events" ("id", "eventTypeId", "type", "lane", "status", "payload", "createdAt", "updatedAt", "recipient")
             SELECT id, 1, 'T', 'realtime', 'sent', '{"to":"x"}', now(), now(), 'r-' || id FROM unnest(ARRAY[${ids.join(',')}]::bigint[]) id`);
    await q(`INSERT INTO "t"."deliveries" ("eventId", "channel", "provider", "status", "updatedAt")
             SELECT id, 'email', 'smtp', 'sent', now() FROM unnest(ARRAY[${ids.join(',')}]::bigint[]) id`);

    expect(await applyMigrations({ databaseUrl, schema })).toEqual({ applied: [PARTITIONED] });

    const rows = await q(`SELECT e."id", e."recipient", tableoid::regclass::text AS part FROM "t"."events" e ORDER BY e."id"`);
    expect(rows.rows.map((r) => [BigInt(r.id), r.recipient, r.part.replace(/^.*\./, '')])).toEqual(
      ids.map((id, i) => [id, `r-${id}`, `events_p${days[Math.floor(i / 2)]!.suffix}`]),
    );
    const deliveries = await q(`SELECT "id", "eventId", tableoid::regclass::text AS part FROM "t"."deliveries" ORDER BY "id"`);
    expect(deliveries.rows.map((r) => [r.id, r.part.replace(/^.*\./, '')])).toEqual(
      ids.map((_, i) => [i + 1, `deliveries_p${days[Math.floor(i / 2)]!.suffix}`]),
    );
    // The sequence carries on after the copied ids; the new key refuses a second row per channel.
    const next = await q(`INSERT INTO "t"."deliveries" ("eventId", "channel", "provider", "status", "updatedAt")
                          VALUES (${ids[0]}, 'sms', 'sns', 'sent', now()) RETURNING "id"`);
    expect(next.rows[0].id).toBe(ids.length + 1);
    await expect(
      q(`INSERT INTO "t"."deliveries" ("eventId", "channel", "provider", "status", "updatedAt") VALUES (${ids[0]}, 'sms', 'sns', 'sent', now())`),
    ).rejects.toThrow('duplicate key value violates unique constraint');
    // The cascade still holds across the partitioned tables.
    await q(`DELETE FROM "t"."events" WHERE "id" = ${ids[0]}`);
    expect((await q(`SELECT count(*)::int AS n FROM "t"."deliveries" WHERE "eventId" = ${ids[0]}`)).rows[0].n).toBe(0);
  });

  it('says which directory is missing', async () => {
    await expect(
      applyMigrations({ databaseUrl, schema: freshSchema(), migrationsDir: '/nonexistent/migrations' }),
    ).rejects.toThrow('migrations directory not found: /nonexistent/migrations');
  });
});
