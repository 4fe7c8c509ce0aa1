import type pg from 'pg';
import { normalizeDefault, type DatabaseShape, type PartitioningShape, type TableShape } from './schema-shape';

const ON_ACTION: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

const PARTITION_STRATEGIES: Record<string, PartitioningShape['strategy']> = { r: 'range', l: 'list', h: 'hash' };

// Owned by the migration runner, not by schema.prisma.
const IGNORED_TABLES = new Set(['_prisma_migrations']);

/** Reads tables, columns, keys, indexes and enums of one Postgres schema from the catalog. */
export async function readDatabaseShape(client: pg.ClientBase, schema: string): Promise<DatabaseShape> {
  const shape: DatabaseShape = { tables: {}, enums: {} };
  const table = (name: string): TableShape | undefined => shape.tables[name];

  const tables = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
    [schema],
  );
  // Partitions are left out: their columns, indexes and keys are the parent's, and which days
  // exist is data (the maintenance job's), not shape.
  for (const { name } of tables.rows) {
    if (!IGNORED_TABLES.has(name)) {
      shape.tables[name] = { partitioning: null, columns: {}, primaryKey: null, indexes: {}, foreignKeys: {} };
    }
  }

  const partitioned = await client.query<{ table: string; strategy: string; columns: string[]; has_default: boolean }>(
    `SELECT c.relname AS table, p.partstrat AS strategy, p.partdefid <> 0 AS has_default,
            ARRAY(SELECT a.attname::text FROM unnest(p.partattrs::int2[]) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
       FROM pg_partitioned_table p
       JOIN pg_class c ON c.oid = p.partrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1`,
    [schema],
  );
  for (const p of partitioned.rows) {
    const t = table(p.table);
    if (!t) continue;
    t.partitioning = {
      strategy: PARTITION_STRATEGIES[p.strategy] ?? (p.strategy as PartitioningShape['strategy']),
      columns: p.columns,
      defaultPartition: p.has_default,
    };
  }

  const columns = await client.query<{
    table: string;
    column: string;
    not_null: boolean;
    default: string | null;
    type: string;
    enum_name: string | null;
    is_array: boolean;
  }>(
    `SELECT c.relname AS table, a.attname AS column, a.attnotnull AS not_null,
            pg_get_expr(d.adbin, d.adrelid) AS default, format_type(a.atttypid, a.atttypmod) AS type,
            COALESCE(CASE WHEN t.typtype = 'e' THEN t.typname END,
                     CASE WHEN et.typtype = 'e' THEN et.typname END) AS enum_name,
            t.typcategory = 'A' AS is_array
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY c.relname, a.attnum`,
    [schema],
  );
  for (const c of columns.rows) {
    const t = table(c.table);
    if (!t) continue;
    t.columns[c.column] = {
      type: c.enum_name === null ? c.type : `enum:${c.enum_name}${c.is_array ? '[]' : ''}`,
      nullable: !c.not_null,
      default: normalizeDefault(c.default),
    };
  }

  const indexes = await client.query<{
    table: string;
    name: string;
    unique: boolean;
    primary: boolean;
    columns: string[];
  }>(
    `SELECT t.relname AS table, i.relname AS name, x.indisunique AS unique, x.indisprimary AS primary,
            ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = $1`,
    [schema],
  );
  for (const ix of indexes.rows) {
    const t = table(ix.table);
    if (!t) continue;
    if (ix.primary) t.primaryKey = { name: ix.name, columns: ix.columns };
    else t.indexes[ix.name] = { columns: ix.columns, unique: ix.unique };
  }

  const foreignKeys = await client.query<{
    table: string;
    name: string;
    referenced_table: string;
    columns: string[];
    referenced_columns: string[];
    on_delete: string;
    on_update: string;
  }>(
    `SELECT t.relname AS table, c.conname AS name, rt.relname AS referenced_table,
            ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
            ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.ord)
              AS referenced_columns,
            c.confdeltype AS on_delete, c.confupdtype AS on_update
       FROM pg_constraint c
       JOIN pg_class t ON t.oid = c.conrelid
       JOIN pg_class rt ON rt.oid = c.confrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE c.contype = 'f' AND n.nspname = $1 AND c.conparentid = 0`,
    [schema],
  );
  // (conparentid = 0: a foreign key to a partitioned table also has one clone per referenced
  // partition, under the referencing table; those are Postgres' bookkeeping.)
  for (const fk of foreignKeys.rows) {
    const t = table(fk.table);
    if (!t) continue;
    t.foreignKeys[fk.name] = {
      columns: fk.columns,
      referencedTable: fk.referenced_table,
      referencedColumns: fk.referenced_columns,
      onDelete: ON_ACTION[fk.on_delete] ?? fk.on_delete,
      onUpdate: ON_ACTION[fk.on_update] ?? fk.on_update,
    };
  }

  const enums = await client.query<{ name: string; values: string[] }>(
    `SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS values
       FROM pg_type t
       JOIN pg_enum e ON e.enumtypid = t.oid
       JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = $1
      GROUP BY t.typname`,
    [schema],
  );
  for (const e of enums.rows) shape.enums[e.name] = e.values;

  return shape;
}
