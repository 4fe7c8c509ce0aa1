import pg from 'pg';
import { DEFAULT_DATABASE_URL } from './connection';
import { createPrismaClient } from './prisma';
import { createTestSchema } from './test-database';

const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;

const schemaExists = async (schema: string) => {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    return rowCount === 1;
  } finally {
    await client.end();
  }
};

describe('createTestSchema', () => {
  it('gives each caller its own migrated schema and a client bound to it', async () => {
    const [a, b] = await Promise.all([createTestSchema(databaseUrl), createTestSchema(databaseUrl)]);
    try {
      expect(a.schema).toMatch(/^t_[0-9a-f]{12}$/);
      expect(a.schema).not.toBe(b.schema);

      await a.prisma.eventType.create({ data: { key: 'ORDER_CONFIRMATION', label: 'Order confirmation' } });

      expect(await a.prisma.eventType.count()).toBe(1);
      expect(await b.prisma.eventType.count()).toBe(0);
      // Raw SQL follows the same schema through search_path.
      expect(await a.prisma.$queryRaw`SELECT key FROM event_types`).toEqual([{ key: 'ORDER_CONFIRMATION' }]);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });

  it('hands out a URL that leads other clients to the same schema', async () => {
    const db = await createTestSchema(databaseUrl);
    const other = createPrismaClient({ databaseUrl: db.url });
    try {
      await db.prisma.suppression.create({ data: { channel: 'email', address: 'a@example.com', reason: 'bounce' } });
      expect(await other.suppression.findMany({ select: { address: true } })).toEqual([{ address: 'a@example.com' }]);
    } finally {
      await other.$disconnect();
      await db.drop();
    }
  });

  it('drops the schema, and tolerates a second drop', async () => {
    const db = await createTestSchema(databaseUrl);
    expect(await schemaExists(db.schema)).toBe(true);

    await db.drop();
    await db.drop();

    expect(await schemaExists(db.schema)).toBe(false);
  });
});
