/**
 * The built services against a database nobody migrated: each refuses to start, naming the
 * migrations it ships (found from dist/, as in the image) and saying to run `npm run migrate`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { DATABASE_URL, REDIS_URL } from '../helpers/system';

const ROOT = path.resolve(__dirname, '../..');
const schema = `t_${randomBytes(6).toString('hex')}`;
const client = new pg.Client({ connectionString: DATABASE_URL });
const shipped = readdirSync(path.join(ROOT, 'prisma/migrations'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

beforeAll(async () => {
  await client.connect();
  await client.query(`CREATE SCHEMA "${schema}"`);
});
afterAll(async () => {
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

function run(script: string): Promise<{ code: number | null; output: string }> {
  const url = new URL(DATABASE_URL);
  url.searchParams.set('schema', schema);
  const child = spawn(process.execPath, [path.join(ROOT, script)], {
    env: { ...process.env, DATABASE_URL: url.toString(), REDIS_URL, QUEUE_PREFIX: `e2e-${randomBytes(4).toString('hex')}`, PORT: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += String(chunk)));
  child.stderr.on('data', (chunk) => (output += String(chunk)));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

test.each([
  ['ingest', 'services/ingest/dist/server.js'],
  ['worker', 'services/worker/dist/main.js'],
])('the %s refuses to start on an unmigrated database, saying what to run', async (name, script) => {
  const { code, output } = await run(script);
  expect(code).toBe(1);
  expect(output).toContain(`${name}: failed to start: the database lacks`);
  for (const migration of shipped) expect(output).toContain(migration);
  expect(output).toContain('run npm run migrate');
});
