/**
 * The database a Prisma schema calls for, described the way Postgres reports it, and a
 * comparison that names each difference. Naming, types and defaults follow what Prisma's
 * migration engine generates for PostgreSQL. Not compared: index sort order and method, and
 * objects Prisma does not model (check constraints, triggers, views, functions).
 */
import type { Attribute, AttributeValue, FieldDef, ModelDef, PrismaSchema } from './prisma-schema';

export interface ColumnShape {
  /** Postgres `format_type` output, or `enum:<name>`; `[]` appended for arrays. */
  type: string;
  nullable: boolean;
  /** Normalized with {@link normalizeDefault}; null when the column has no default. */
  default: string | null;
}

export interface IndexShape {
  columns: string[];
  unique: boolean;
}

export interface ForeignKeyShape {
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete: string;
  onUpdate: string;
}

/**
 * How a table is partitioned. Prisma does not model partitions (its client sees the parent
 * table), so the expected partitioning is declared beside the schema (EVENT_LOG_PARTITIONING)
 * and checked here; the partitions themselves are not part of the shape.
 */
export interface PartitioningShape {
  strategy: 'range' | 'list' | 'hash';
  columns: string[];
  /** Whether a DEFAULT partition takes rows no other partition covers. */
  defaultPartition: boolean;
}

export interface TableShape {
  /** null: an ordinary table. */
  partitioning: PartitioningShape | null;
  columns: Record<string, ColumnShape>;
  primaryKey: { name: string; columns: string[] } | null;
  /** Every index but the primary key's, by name. */
  indexes: Record<string, IndexShape>;
  foreignKeys: Record<string, ForeignKeyShape>;
}

export interface DatabaseShape {
  tables: Record<string, TableShape>;
  enums: Record<string, string[]>;
}

const SCALAR_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Boolean: 'boolean',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  Bytes: 'bytea',
};

// `%` stands for the attribute's arguments, which must then be given.
const NATIVE_TYPES: Record<string, string> = {
  Text: 'text',
  Uuid: 'uuid',
  SmallInt: 'smallint',
  Integer: 'integer',
  BigInt: 'bigint',
  Real: 'real',
  DoublePrecision: 'double precision',
  Boolean: 'boolean',
  Json: 'json',
  JsonB: 'jsonb',
  Date: 'date',
  ByteA: 'bytea',
  VarChar: 'character varying(%)',
  Char: 'character(%)',
  Decimal: 'numeric(%)',
  Timestamp: 'timestamp(%) without time zone',
  Timestamptz: 'timestamp(%) with time zone',
};

const REFERENTIAL_ACTIONS: Record<string, string> = {
  Cascade: 'CASCADE',
  Restrict: 'RESTRICT',
  NoAction: 'NO ACTION',
  SetNull: 'SET NULL',
  SetDefault: 'SET DEFAULT',
};

const FIELD_ATTRIBUTES = new Set(['id', 'default', 'unique', 'updatedAt', 'map', 'relation']);
const MODEL_ATTRIBUTES = new Set(['map', 'id', 'unique', 'index']);
const POSTGRES_MAX_IDENTIFIER = 63;

/** @param partitioned the tables that are partitioned, by their database name, and how. */
export function expectedShape(schema: PrismaSchema, partitioned: Readonly<Record<string, PartitioningShape>> = {}): DatabaseShape {
  const enums = new Map(schema.enums.map((e) => [e.name, e]));
  const models = new Map(schema.models.map((m) => [m.name, m]));
  const shape: DatabaseShape = { tables: {}, enums: {} };

  for (const e of schema.enums) {
    shape.enums[mappedName(e.attributes, e.name)] = e.values.map((v) => mappedName(v.attributes, v.name));
  }

  for (const model of schema.models) {
    const table = mappedName(model.attributes, model.name);
    const column = (fieldName: string) => columnName(model, fieldName);
    const partitioning = partitioned[table];
    const tableShape: TableShape = {
      partitioning: partitioning ? { ...partitioning, columns: [...partitioning.columns] } : null,
      columns: {},
      primaryKey: null,
      indexes: {},
      foreignKeys: {},
    };
    shape.tables[table] = tableShape;

    for (const attribute of model.attributes) {
      if (!MODEL_ATTRIBUTES.has(attribute.name)) fail(model, `@@${attribute.name}`);
      if (attribute.name === 'map') continue;
      const columns = fieldList(attribute, 'fields').map(column);
      const name = stringArg(attribute, 'map');
      if (attribute.name === 'id') {
        tableShape.primaryKey = { name: name ?? constraintName(table, [], 'pkey'), columns };
      } else {
        const unique = attribute.name === 'unique';
        tableShape.indexes[name ?? constraintName(table, columns, unique ? 'key' : 'idx')] = { columns, unique };
      }
    }

    for (const field of model.fields) {
      for (const a of field.attributes) {
        if (!FIELD_ATTRIBUTES.has(a.name) && !a.name.startsWith('db.')) fail(model, `@${a.name} on ${field.name}`);
      }
      const related = models.get(field.type);
      if (related) {
        const relation = findAttribute(field.attributes, 'relation');
        if (!relation || !findArg(relation, 'fields')) continue;
        const fieldNames = fieldList(relation, 'fields');
        const columns = fieldNames.map(column);
        const anyRequired = fieldNames.some((f) => model.fields.find((x) => x.name === f)?.optional === false);
        tableShape.foreignKeys[stringArg(relation, 'map') ?? constraintName(table, columns, 'fkey')] = {
          columns,
          referencedTable: mappedName(related.attributes, related.name),
          referencedColumns: fieldList(relation, 'references').map((f) => columnName(related, f)),
          onDelete: referentialAction(relation, 'onDelete', anyRequired ? 'Restrict' : 'SetNull'),
          onUpdate: referentialAction(relation, 'onUpdate', 'Cascade'),
        };
        continue;
      }

      const name = column(field.name);
      const enumDef = enums.get(field.type);
      tableShape.columns[name] = {
        type: columnType(model, field, enumDef && mappedName(enumDef.attributes, enumDef.name)),
        nullable: field.optional || field.list,
        default: normalizeDefault(renderDefault(model, field, enumDef)),
      };
      const id = findAttribute(field.attributes, 'id');
      if (id) {
        tableShape.primaryKey = { name: stringArg(id, 'map') ?? constraintName(table, [], 'pkey'), columns: [name] };
      }
      const unique = findAttribute(field.attributes, 'unique');
      if (unique) {
        tableShape.indexes[stringArg(unique, 'map') ?? constraintName(table, [name], 'key')] = {
          columns: [name],
          unique: true,
        };
      }
    }
  }
  for (const table of Object.keys(partitioned)) {
    if (!shape.tables[table]) throw new Error(`partitioned table ${table} is not a table of schema.prisma`);
  }
  return shape;
}

/** Every difference, as sentences naming the object and both sides; empty when they agree. */
export function compareShapes(fromSchema: DatabaseShape, fromMigrations: DatabaseShape): string[] {
  const drift: string[] = [];
  const mismatch = (what: string, want: string, got: string) => {
    if (want !== got) drift.push(`${what}: schema.prisma wants ${want}, migrations give ${got}`);
  };
  const onlyIn = (what: string, values: string[], side: string) => {
    if (values.length > 0) drift.push(`${what}: values ${values.join(', ')} ${side}`);
  };

  compareRecords(drift, 'enum ', fromSchema.enums, fromMigrations.enums, (name, want, got) => {
    onlyIn(`enum ${name}`, want.filter((v) => !got.includes(v)), IN_SCHEMA_ONLY);
    onlyIn(`enum ${name}`, got.filter((v) => !want.includes(v)), IN_MIGRATIONS_ONLY);
  });
  compareRecords(drift, 'table ', fromSchema.tables, fromMigrations.tables, (table, want, got) => {
    compareRecords(drift, `column ${table}.`, want.columns, got.columns, (name, w, g) =>
      mismatch(`column ${table}.${name}`, describeColumn(w), describeColumn(g)),
    );
    mismatch(`partitioning of ${table}`, describePartitioning(want.partitioning), describePartitioning(got.partitioning));
    mismatch(`primary key of ${table}`, describePrimaryKey(want.primaryKey), describePrimaryKey(got.primaryKey));
    compareRecords(drift, `index ${table}.`, want.indexes, got.indexes, (name, w, g) =>
      mismatch(`index ${table}.${name}`, describeIndex(w), describeIndex(g)),
    );
    compareRecords(drift, `foreign key ${table}.`, want.foreignKeys, got.foreignKeys, (name, w, g) =>
      mismatch(`foreign key ${table}.${name}`, describeForeignKey(w), describeForeignKey(g)),
    );
  });
  return drift;
}

// `::type`, `::"Enum"`, `::schema."Enum"`, `::character varying(10)[]`, ...
const CAST = /::(?:(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_]*)\.)?(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_ ]*)(?:\(\d+(?:,\d+)?\))?(?:\[\])*/gi;

/** Puts a column default as Postgres prints it and as the schema implies it into one form. */
export function normalizeDefault(expression: string | null): string | null {
  if (expression === null) return null;
  if (/^nextval\(/i.test(expression)) return 'autoincrement()';
  const withoutCasts = expression.replace(CAST, '').trim();
  if (/^now\(\)$/i.test(withoutCasts)) return 'CURRENT_TIMESTAMP';
  // Postgres quotes negative numeric defaults ('-1'::integer).
  return withoutCasts.replace(/^'(-?\d+(?:\.\d+)?)'$/, '$1');
}

const IN_SCHEMA_ONLY = 'in schema.prisma but not in the migrations';
const IN_MIGRATIONS_ONLY = 'in the migrations but not in schema.prisma';

function compareRecords<T>(
  drift: string[],
  prefix: string,
  want: Record<string, T>,
  got: Record<string, T>,
  compare: (name: string, want: T, got: T) => void,
): void {
  for (const [name, w] of Object.entries(want)) {
    const g = got[name];
    if (g === undefined) drift.push(`${prefix}${name}: ${IN_SCHEMA_ONLY}`);
    else compare(name, w, g);
  }
  for (const name of Object.keys(got)) {
    if (!(name in want)) drift.push(`${prefix}${name}: ${IN_MIGRATIONS_ONLY}`);
  }
}

const describeColumn = (c: ColumnShape) =>
  `${c.type} ${c.nullable ? 'NULL' : 'NOT NULL'}${c.default === null ? '' : ` DEFAULT ${c.default}`}`;

const describePartitioning = (p: PartitioningShape | null) =>
  p
    ? `PARTITION BY ${p.strategy.toUpperCase()} (${p.columns.join(', ')}) ${p.defaultPartition ? 'with' : 'without'} a default partition`
    : 'no partitioning';

const describePrimaryKey = (p: TableShape['primaryKey']) => (p ? `${p.name} (${p.columns.join(', ')})` : 'none');

const describeIndex = (i: IndexShape) => `${i.unique ? 'UNIQUE ' : ''}(${i.columns.join(', ')})`;

const describeForeignKey = (f: ForeignKeyShape) =>
  `(${f.columns.join(', ')}) REFERENCES ${f.referencedTable}(${f.referencedColumns.join(', ')}) ` +
  `ON DELETE ${f.onDelete} ON UPDATE ${f.onUpdate}`;

// Prisma's default names: truncated to fit Postgres identifiers, keeping the suffix.
function constraintName(table: string, columns: string[], suffix: string): string {
  const base = [table, ...columns].join('_');
  return `${base.slice(0, POSTGRES_MAX_IDENTIFIER - suffix.length - 1)}_${suffix}`;
}

function columnType(model: ModelDef, field: FieldDef, enumName: string | undefined): string {
  const native = field.attributes.find((a) => a.name.startsWith('db.'));
  let type: string | undefined;
  if (enumName !== undefined) type = `enum:${enumName}`;
  else if (native) type = nativeType(model, field, native);
  else type = SCALAR_TYPES[field.type];
  if (type === undefined) fail(model, `type ${field.type} of ${field.name}`);
  return field.list ? `${type}[]` : type;
}

function nativeType(model: ModelDef, field: FieldDef, attribute: Attribute): string {
  const template = NATIVE_TYPES[attribute.name.slice('db.'.length)];
  if (template === undefined) fail(model, `@${attribute.name} on ${field.name}`);
  if (!template.includes('%')) return template;
  const args = attribute.args.map((a) => (a.value.kind === 'number' ? a.value.value : NaN));
  if (args.length === 0 || args.some(Number.isNaN)) {
    fail(model, `@${attribute.name} without its arguments on ${field.name}`);
  }
  return template.replace('%', args.join(','));
}

function renderDefault(
  model: ModelDef,
  field: FieldDef,
  enumDef: PrismaSchema['enums'][number] | undefined,
): string | null {
  const attribute = findAttribute(field.attributes, 'default');
  const value = attribute && findArg(attribute, 'value');
  if (!value) return null;
  const enumValue = (name: string) => {
    const v = enumDef?.values.find((x) => x.name === name);
    return v ? mappedName(v.attributes, v.name) : name;
  };
  const render = (v: AttributeValue): string | null => {
    switch (v.kind) {
      case 'string':
        return quoteLiteral(enumDef ? enumValue(v.value) : v.value);
      case 'number':
        return String(v.value);
      case 'ident':
        return v.name === 'true' || v.name === 'false' ? v.name : quoteLiteral(enumValue(v.name));
      case 'array':
        return `ARRAY[${v.items.map(render).join(', ')}]`;
      case 'call':
        if (v.name === 'autoincrement') return 'autoincrement()';
        if (v.name === 'now') return 'CURRENT_TIMESTAMP';
        // Generated by Prisma Client, so the column has no database default.
        if (['uuid', 'cuid', 'nanoid', 'ulid'].includes(v.name)) return null;
        if (v.name === 'dbgenerated' && v.args[0]?.value.kind === 'string') return v.args[0].value.value;
        return fail(model, `@default(${v.name}(...)) on ${field.name}`);
    }
  };
  return render(value);
}

const quoteLiteral = (s: string) => `'${s.replaceAll("'", "''")}'`;

function columnName(model: ModelDef, fieldName: string): string {
  const field = model.fields.find((f) => f.name === fieldName);
  if (!field) fail(model, `a reference to unknown field ${fieldName}`);
  return mappedName(field.attributes, field.name);
}

function mappedName(attributes: Attribute[], name: string): string {
  const map = findAttribute(attributes, 'map');
  return (map && stringArg(map, 'name')) ?? name;
}

function findAttribute(attributes: Attribute[], name: string): Attribute | undefined {
  return attributes.find((a) => a.name === name);
}

// Prisma lets the first argument be given by position; `positionalName` is its name.
function findArg(attribute: Attribute, name: string): AttributeValue | undefined {
  const positionalName: Record<string, string> = { relation: 'name', map: 'name', default: 'value' };
  const first = positionalName[attribute.name] ?? 'fields';
  return (
    attribute.args.find((a) => a.name === name)?.value ??
    (name === first ? attribute.args.find((a) => a.name === undefined)?.value : undefined)
  );
}

function stringArg(attribute: Attribute, name: string): string | undefined {
  const value = findArg(attribute, name);
  return value?.kind === 'string' ? value.value : undefined;
}

function fieldList(attribute: Attribute, name: string): string[] {
  const value = findArg(attribute, name);
  if (value?.kind !== 'array') return [];
  // `[createdAt(sort: Desc)]` names the field createdAt.
  return value.items.map((v) => (v.kind === 'ident' || v.kind === 'call' ? v.name : ''));
}

function referentialAction(relation: Attribute, name: string, fallback: string): string {
  const value = findArg(relation, name);
  const action = value?.kind === 'ident' ? value.name : fallback;
  return REFERENTIAL_ACTIONS[action] ?? action;
}

function fail(model: ModelDef, what: string): never {
  throw new Error(`model ${model.name}: the drift check does not understand ${what}; extend schema-shape.ts`);
}
