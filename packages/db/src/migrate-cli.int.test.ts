import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { DEFAULT_DATABASE_URL, quoteIdent } from './connection';
import { DEFAULT_MIGRATIONS_DIR } from './migrate';
import { runMigrateCli } from './migrate-cli';

const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
const schema = `t_${randomBytes(6).toString('hex')}`;
/** Every migration in the repository, in the order they apply. */
const ALL = readdirSync(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

const run = async (argv: string[], env: NodeJS.ProcessEnv) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runMigrateCli(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
};

afterAll(async () => {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  await client.end();
});

describe('migrate CLI', () => {
  it('applies pending migrations to the --schema given, then reports the database up to date', async () => {
    expect(await run(['--schema', schema], { DATABASE_URL: databaseUrl })).toEqual({
      code: 0,
      out: [...ALL.map((name) => `applied ${name}`), `migrate: applied ${ALL.length} migration(s)`],
      err: [],
    });
    expect(await run([`--schema=${schema}`], { DATABASE_URL: databaseUrl })).toEqual({
      code: 0,
      out: ['migrate: database is up to date'],
      err: [],
    });
  });

  it('fails with one line, and no stack unless DEBUG is set', async () => {
    const unreachable = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/test' };

    const quiet = await run(['--schema', schema], unreachable);
    expect(quiet.code).toBe(1);
    expect(quiet.err).toEqual([expect.stringMatching(/^migrate: connect ECONNREFUSED 127\.0\.0\.1:1$/)]);

    const debug = await run(['--schema', schema], { ...unreachable, DEBUG: '1' });
    expect(debug.err).toHaveLength(2);
    expect(debug.err[1]).toContain('\n    at ');
  });

  it('refuses unknown flags', async () => {
    const result = await run(['--shema', schema], { DATABASE_URL: databaseUrl });
    expect(result.code).toBe(1);
    expect(result.err).toEqual([expect.stringContaining("migrate: Unknown option '--shema'")]);
  });
});
