/**
 * The drift test: the database that prisma/migrations builds must be the one schema.prisma
 * describes. When this fails, write a migration for the change to schema.prisma (or fix the
 * schema), never edit an applied migration.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { DEFAULT_DATABASE_URL, quoteIdent } from './connection';
import { readDatabaseShape } from './database-shape';
import { EVENT_LOG_PARTITIONING } from './event-log-days';
import { applyMigrations } from './migrate';
import { parsePrismaSchema } from './prisma-schema';
import { compareShapes, expectedShape, type DatabaseShape } from './schema-shape';

const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
const SCHEMA_FILE = path.resolve(__dirname, '../../../prisma/schema.prisma');
const schemaText = readFileSync(SCHEMA_FILE, 'utf8');
const schema = `t_${randomBytes(6).toString('hex')}`;
const client = new pg.Client({ connectionString: databaseUrl });
let migrated: DatabaseShape;

const driftFrom = (prismaSchema: string, partitioned = EVENT_LOG_PARTITIONING) =>
  compareShapes(expectedShape(parsePrismaSchema(prismaSchema), partitioned), migrated);

/** The schema text with `search` replaced, failing if it is not there (so a case cannot go stale). */
const edited = (search: string | RegExp, replacement: string) => {
  const result = schemaText.replace(search, replacement);
  if (result === schemaText) throw new Error(`test setup: ${String(search)} not found in schema.prisma`);
  return result;
};

beforeAll(async () => {
  await applyMigrations({ databaseUrl, schema });
  await client.connect();
  migrated = await readDatabaseShape(client, schema);
});

afterAll(async () => {
  await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  await client.end();
});

it('schema.prisma and prisma/migrations describe the same database', () => {
  expect(driftFrom(schemaText)).toEqual([]);
});

it('sees the event log partitioned, and leaves its partitions out of the shape', () => {
  expect(migrated.tables.events?.partitioning).toEqual({ strategy: 'range', columns: ['id'], defaultPartition: true });
  expect(migrated.tables.deliveries?.partitioning).toEqual({ strategy: 'range', columns: ['eventId'], defaultPartition: true });
  expect(Object.keys(migrated.tables).filter((t) => /_(default|p\d{8})$/.test(t))).toEqual([]);
  expect(Object.keys(migrated.tables.deliveries!.foreignKeys)).toEqual(['deliveries_eventId_fkey']);
  expect(driftFrom(schemaText, { ...EVENT_LOG_PARTITIONING, deliveries: { strategy: 'range', columns: ['id'], defaultPartition: false } })).toEqual([
    'partitioning of deliveries: schema.prisma wants PARTITION BY RANGE (id) without a default partition, ' +
      'migrations give PARTITION BY RANGE (eventId) with a default partition',
  ]);
  expect(driftFrom(schemaText, {})).toContain(
    'partitioning of events: schema.prisma wants no partitioning, migrations give PARTITION BY RANGE (id) with a default partition',
  );
});

describe('the comparison reports drift', () => {
  it.each<[string, string, string]>([
    [
      'a field added to a model',
      edited('  to                String[]\n', '  to                String[]\n  extra             String?\n'),
      'column proofs.extra: in schema.prisma but not in the migrations',
    ],
    [
      'a field removed from a model',
      edited(/\n  revokedAt  DateTime\?/, ''),
      'column api_keys.revokedAt: in the migrations but not in schema.prisma',
    ],
    [
      'a field made optional',
      edited('  label         String\n', '  label         String?\n'),
      'column event_types.label: schema.prisma wants text NULL, migrations give text NOT NULL',
    ],
    [
      'a changed type',
      edited('  attempts          Int            @default(0)', '  attempts          BigInt         @default(0)'),
      'column deliveries.attempts: schema.prisma wants bigint NOT NULL DEFAULT 0, migrations give integer NOT NULL DEFAULT 0',
    ],
    [
      'a changed default',
      edited('  paused      Boolean         @default(false)', '  paused      Boolean         @default(true)'),
      'column publications.paused: schema.prisma wants boolean NOT NULL DEFAULT true, migrations give boolean NOT NULL DEFAULT false',
    ],
    [
      'a new enum value',
      edited('enum Lane {\n  realtime\n  batch\n', 'enum Lane {\n  realtime\n  batch\n  bulk\n'),
      'enum Lane: values bulk in schema.prisma but not in the migrations',
    ],
    [
      'a new model',
      `${schemaText}\nmodel Webhook {\n  id  Int    @id @default(autoincrement())\n  url String\n}\n`,
      'table Webhook: in schema.prisma but not in the migrations',
    ],
    [
      'a renamed table',
      edited('@@map("suppressions")', '@@map("quarantine")'),
      'table suppressions: in the migrations but not in schema.prisma',
    ],
    [
      'a new index',
      edited('  @@index([templateId])\n', '  @@index([templateId])\n  @@index([createdAt])\n'),
      'index proofs.proofs_createdAt_idx: in schema.prisma but not in the migrations',
    ],
    [
      'a unique constraint turned into a plain index',
      edited('  @@unique([channel, address])', '  @@index([channel, address])'),
      'index suppressions.suppressions_channel_address_key: in the migrations but not in schema.prisma',
    ],
    [
      'a changed primary key',
      edited('  @@id([eventTypeId, channel, locale])', '  @@id([eventTypeId, channel])'),
      'primary key of publications: schema.prisma wants publications_pkey (eventTypeId, channel), ' +
        'migrations give publications_pkey (eventTypeId, channel, locale)',
    ],
    [
      'a changed onDelete',
      edited(
        '  event             Event          @relation(fields: [eventId], references: [id], onDelete: Cascade)',
        '  event             Event          @relation(fields: [eventId], references: [id], onDelete: Restrict)',
      ),
      'foreign key deliveries.deliveries_eventId_fkey: schema.prisma wants (eventId) REFERENCES events(id) ' +
        'ON DELETE RESTRICT ON UPDATE CASCADE, migrations give (eventId) REFERENCES events(id) ON DELETE CASCADE ON UPDATE CASCADE',
    ],
  ])('%s', (_case, prismaSchema, expected) => {
    expect(driftFrom(prismaSchema)).toContain(expected);
  });
});
