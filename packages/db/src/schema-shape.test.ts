import { parsePrismaSchema } from './prisma-schema';
import { compareShapes, expectedShape, normalizeDefault, type DatabaseShape } from './schema-shape';

const shapeOf = (source: string) => expectedShape(parsePrismaSchema(source));

const SOURCE = `
enum Status {
  on
  off_ @map("off")
  @@map("status")
}

model Owner {
  id      String   @id @default(uuid())
  handle  String   @unique @map("user_handle")
  things  Thing[]
  @@map("owners")
}

model Thing {
  id        Int      @id @default(autoincrement())
  ownerId   String
  parentId  Int?
  status    Status   @default(off_)
  score     Float    @default(-1.5)
  label     String   @default("it's")
  tags      String[] @default([])
  meta      Json     @default("{}")
  code      String   @db.VarChar(12)
  createdAt DateTime @default(now())
  updatedAt DateTime @updatedAt
  owner     Owner    @relation(fields: [ownerId], references: [id])
  parent    Thing?   @relation("Tree", fields: [parentId], references: [id])
  children  Thing[]  @relation("Tree")
  @@index([status, createdAt(sort: Desc)])
  @@unique([ownerId, code])
}

model Pair {
  a Int
  b Int
  thingId Int
  thing Thing @relation(fields: [thingId], references: [id], onDelete: Cascade, onUpdate: NoAction, map: "pair_thing")
  @@id([a, b])
}
`;

describe('expectedShape', () => {
  const shape = shapeOf(SOURCE);

  it('maps enums and their values', () => {
    expect(shape.enums).toEqual({ status: ['on', 'off'] });
  });

  it('maps scalar fields to Postgres column types, nullability and defaults', () => {
    expect(shape.tables.Thing?.columns).toEqual({
      id: { type: 'integer', nullable: false, default: 'autoincrement()' },
      ownerId: { type: 'text', nullable: false, default: null },
      parentId: { type: 'integer', nullable: true, default: null },
      status: { type: 'enum:status', nullable: false, default: "'off'" },
      score: { type: 'double precision', nullable: false, default: '-1.5' },
      label: { type: 'text', nullable: false, default: "'it''s'" },
      tags: { type: 'text[]', nullable: true, default: 'ARRAY[]' },
      meta: { type: 'jsonb', nullable: false, default: "'{}'" },
      code: { type: 'character varying(12)', nullable: false, default: null },
      createdAt: { type: 'timestamp(3) without time zone', nullable: false, default: 'CURRENT_TIMESTAMP' },
      updatedAt: { type: 'timestamp(3) without time zone', nullable: false, default: null },
    });
    expect(shape.tables.owners?.columns).toEqual({
      id: { type: 'text', nullable: false, default: null },
      user_handle: { type: 'text', nullable: false, default: null },
    });
  });

  it("names keys and indexes the way Prisma's migrations do", () => {
    expect(shape.tables.owners?.primaryKey).toEqual({ name: 'owners_pkey', columns: ['id'] });
    expect(shape.tables.owners?.indexes).toEqual({ owners_user_handle_key: { columns: ['user_handle'], unique: true } });
    expect(shape.tables.Pair?.primaryKey).toEqual({ name: 'Pair_pkey', columns: ['a', 'b'] });
    expect(shape.tables.Thing?.indexes).toEqual({
      Thing_status_createdAt_idx: { columns: ['status', 'createdAt'], unique: false },
      Thing_ownerId_code_key: { columns: ['ownerId', 'code'], unique: true },
    });
  });

  it('gives foreign keys the default referential actions unless the relation sets them', () => {
    expect(shape.tables.Thing?.foreignKeys).toEqual({
      Thing_ownerId_fkey: {
        columns: ['ownerId'],
        referencedTable: 'owners',
        referencedColumns: ['id'],
        onDelete: 'RESTRICT',
        onUpdate: 'CASCADE',
      },
      Thing_parentId_fkey: {
        columns: ['parentId'],
        referencedTable: 'Thing',
        referencedColumns: ['id'],
        onDelete: 'SET NULL',
        onUpdate: 'CASCADE',
      },
    });
    expect(shape.tables.Pair?.foreignKeys).toEqual({
      pair_thing: {
        columns: ['thingId'],
        referencedTable: 'Thing',
        referencedColumns: ['id'],
        onDelete: 'CASCADE',
        onUpdate: 'NO ACTION',
      },
    });
  });

  it('truncates long default names to 63 characters, keeping the suffix', () => {
    const long = 'a'.repeat(40);
    const shape = shapeOf(`model ${long} {\n  id Int @id\n  ${long}_field String @unique\n}`);
    const [name] = Object.keys(shape.tables[long]?.indexes ?? {});
    expect(name).toHaveLength(63);
    expect(name?.endsWith('a_key')).toBe(true);
  });

  it('refuses attributes and native types it does not understand', () => {
    expect(() => shapeOf('model M {\n  id Int @id\n  @@fulltext([id])\n}')).toThrow(
      'model M: the drift check does not understand @@fulltext',
    );
    expect(() => shapeOf('model M {\n  id String @id @db.Inet\n}')).toThrow('does not understand @db.Inet on id');
  });
});

describe('normalizeDefault', () => {
  it.each([
    ["nextval('t_1.things_id_seq'::regclass)", 'autoincrement()'],
    ['CURRENT_TIMESTAMP', 'CURRENT_TIMESTAMP'],
    ['now()', 'CURRENT_TIMESTAMP'],
    ["''::text", "''"],
    ["'[]'::jsonb", "'[]'"],
    ['ARRAY[]::text[]', 'ARRAY[]'],
    [`'email'::"Channel"`, "'email'"],
    [`'email'::t_1."Channel"`, "'email'"],
    ["'-1'::integer", '-1'],
    ["'x'::character varying", "'x'"],
    ['true', 'true'],
  ])('%s → %s', (input, output) => {
    expect(normalizeDefault(input)).toBe(output);
  });
});

describe('compareShapes', () => {
  const base = (): DatabaseShape => shapeOf(SOURCE);

  it('finds nothing when both sides agree', () => {
    expect(compareShapes(base(), base())).toEqual([]);
  });

  it('names each difference', () => {
    const actual = base();
    const thing = actual.tables.Thing!;
    delete actual.tables.Pair;
    actual.tables.extra = { partitioning: null, columns: {}, primaryKey: null, indexes: {}, foreignKeys: {} };
    actual.enums.status = ['on', 'maybe'];
    thing.columns.parentId = { type: 'integer', nullable: false, default: null };
    delete thing.columns.code;
    thing.columns.legacy = { type: 'text', nullable: true, default: null };
    thing.primaryKey = null;
    thing.indexes.Thing_ownerId_code_key = { columns: ['ownerId', 'code'], unique: false };
    thing.foreignKeys.Thing_ownerId_fkey!.onDelete = 'CASCADE';

    expect(compareShapes(base(), actual)).toEqual([
      'enum status: values off in schema.prisma but not in the migrations',
      'enum status: values maybe in the migrations but not in schema.prisma',
      'column Thing.parentId: schema.prisma wants integer NULL, migrations give integer NOT NULL',
      'column Thing.code: in schema.prisma but not in the migrations',
      'column Thing.legacy: in the migrations but not in schema.prisma',
      'primary key of Thing: schema.prisma wants Thing_pkey (id), migrations give none',
      'index Thing.Thing_ownerId_code_key: schema.prisma wants UNIQUE (ownerId, code), migrations give (ownerId, code)',
      'foreign key Thing.Thing_ownerId_fkey: schema.prisma wants (ownerId) REFERENCES owners(id) ON DELETE RESTRICT ' +
        'ON UPDATE CASCADE, migrations give (ownerId) REFERENCES owners(id) ON DELETE CASCADE ON UPDATE CASCADE',
      'table Pair: in schema.prisma but not in the migrations',
      'table extra: in the migrations but not in schema.prisma',
    ]);
  });
});
