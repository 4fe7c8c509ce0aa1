export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/test';

/**
 * The Postgres schema a connection URL names with `?schema=` (Prisma's convention), else
 * `public`. pg ignores the parameter, so one URL can carry the schema to every client.
 */
export function schemaOf(databaseUrl: string): string {
  try {
    return new URL(databaseUrl).searchParams.get('schema') || 'public';
  } catch {
    // A keyword/value connection string ("host=... dbname=...") is not a URL.
    return 'public';
  }
}

export function withSchema(databaseUrl: string, schema: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('schema', schema);
  return url.toString();
}

export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;
