// Retention of one day of the event log: dropping the day's partitions (what the maintenance
// job does now, via EventLogPartitionsRepository.retainSince) against the batched DELETE it
// replaced, on the same rows: N events of one old day, each with its delivery, 0.1% of them
// still pending (kept by both), plus a small recent day that stays.
//
//   node scripts/ensure-ready.mjs && node bench/retention.bench.mjs            # 1,000,000 events
//   BENCH_RETENTION_EVENTS=200000 node bench/retention.bench.mjs               # smaller
//
// It works in a scratch database of its own (created, then dropped), so nothing else running
// on the server is touched: schema `partitioned` is migrated to the current migrations, schema
// `unpartitioned` to the ones before the partitioned event log (the old tables). Rows are made
// with INSERT … SELECT generate_series. Prints both timings, the table sizes before and after,
// and writes bench/results/retention.json.
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const pg = require('pg');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const db = require(path.join(ROOT, 'packages/db/dist/index.js'));
const { firstEventIdAt } = require(path.join(ROOT, 'packages/core/dist/index.js'));

const N = Number(process.env.BENCH_RETENTION_EVENTS ?? 1_000_000);
const RECENT = Math.max(1000, Math.round(N / 100));
const DAY = 86_400_000;
const RETENTION_DAYS = 30;
const PARTITIONED_MIGRATION = '20261130120000_partitioned_event_log';
const baseUrl = process.env.DATABASE_URL || db.DEFAULT_DATABASE_URL;
const database = `mc_bench_retention_${randomBytes(4).toString('hex')}`;
const dbUrl = (() => {
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  url.search = '';
  return url.toString();
})();
const log = (...args) => console.log(...args);
const seconds = (ms) => `${(ms / 1000).toFixed(3)} s`;

async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** N events of the day `day` (ids spread over it), one delivery each, every 1000th pending; RECENT events today. */
async function fill(client, schema, oldDay, today) {
  const q = (sql) => client.query(sql.replaceAll('"s".', `"${schema}".`));
  await client.query(`SET search_path TO "${schema}"`); // for the enum types
  await q(`INSERT INTO "s"."event_types" ("key", "label", "updatedAt") VALUES ('BENCH', 'Bench', now())`);
  const rows = async (day, count, every) => {
    const step = (BigInt(Math.floor(DAY / count)) << 22n) + 1n;
    await q(`INSERT INTO "s"."events" ("id", "eventTypeId", "type", "lane", "status", "reason", "channel", "externalId",
               "payload", "createdAt", "updatedAt", "recipient")
             SELECT id, 1, 'BENCH', 'realtime', (CASE WHEN g % ${every} = 0 THEN 'pending' ELSE 'sent' END)::"EventStatus",
                    NULL, 'email', 'order-' || g,
                    jsonb_build_object('type', 'BENCH', 'email', 'customer' || g || '@example.com',
                      'ctx', jsonb_build_object('name', 'Customer ' || g, 'items', jsonb_build_array(jsonb_build_object('name', 'Cap')))),
                    t, t, 'customer' || g || '@example.com'
             FROM generate_series(0, ${count - 1}) g,
                  LATERAL (SELECT ${day.from}::bigint + g * ${step}::bigint AS id) i,
                  LATERAL (SELECT timestamp '2024-01-01' + ((i.id >> 22) * interval '1 millisecond') AS t) c`);
    await q(`INSERT INTO "s"."deliveries" ("eventId", "channel", "provider", "status", "attempts", "attemptLog",
               "providerMessageId", "sentAt", "createdAt", "updatedAt")
             SELECT e."id", 'email', 'smtp', (CASE WHEN e."status" = 'sent' THEN 'sent' ELSE 'pending' END)::"DeliveryStatus", 1,
                    jsonb_build_array(jsonb_build_object('at', e."createdAt", 'provider', 'smtp', 'outcome', 'sent')),
                    '<' || e."id" || '@mc.example>', e."createdAt", e."createdAt", e."createdAt"
             FROM "s"."events" e WHERE e."id" >= ${day.from} AND e."id" < ${day.to}`);
  };
  await rows(oldDay, N, 1000);
  await rows(today, RECENT, 1000);
  await q(`ANALYZE "s"."events"`);
  await q(`ANALYZE "s"."deliveries"`);
}

const sizeOf = async (client, schema) =>
  (
    await client.query(
      `SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) AS size
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind = 'r' AND (c.relname LIKE 'events%' OR c.relname LIKE 'deliveries%')`,
      [schema],
    )
  ).rows[0].size;

const countOf = async (client, schema) =>
  (await client.query(`SELECT count(*)::int AS n FROM "${schema}"."events"`)).rows[0].n;

async function main() {
  const now = Date.now();
  const oldDay = db.dayOf(now - (RETENTION_DAYS + 10) * DAY);
  const today = db.dayOf(now);
  const cutoff = new Date(now - RETENTION_DAYS * DAY);
  log(`retention bench: ${N.toLocaleString('en')} events (+ one delivery each) on day ${oldDay.suffix}, ` +
    `${RECENT.toLocaleString('en')} today; every 1000th pending; scratch database ${database}`);
  await withClient(baseUrl, (c) => c.query(`CREATE DATABASE "${database}"`));
  const oldMigrations = mkdtempSync(path.join(os.tmpdir(), 'mc-bench-migrations-'));
  const result = { events: N, recent: RECENT, pendingKept: Math.floor((N - 1) / 1000) + 1, at: new Date().toISOString() };
  try {
    cpSync(db.DEFAULT_MIGRATIONS_DIR, oldMigrations, { recursive: true });
    rmSync(path.join(oldMigrations, PARTITIONED_MIGRATION), { recursive: true });
    await db.applyMigrations({ databaseUrl: dbUrl, schema: 'unpartitioned', migrationsDir: oldMigrations });
    await db.applyMigrations({ databaseUrl: dbUrl, schema: 'partitioned' });

    await withClient(dbUrl, async (client) => {
      // Drop: the day's partitions exist (the maintenance job made them ahead), rows in them.
      const prisma = db.createPrismaClient({ databaseUrl: dbUrl, schema: 'partitioned', poolMax: 2 });
      try {
        const partitions = new db.EventLogPartitionsRepository(prisma);
        await partitions.createDay(oldDay);
        let t = performance.now();
        await fill(client, 'partitioned', oldDay, today);
        log(`  partitioned: rows made in ${seconds(performance.now() - t)}; ${await sizeOf(client, 'partitioned')}`);
        const before = await sizeOf(client, 'partitioned');
        t = performance.now();
        const retained = await partitions.retainSince(cutoff);
        const ms = performance.now() - t;
        result.drop = { ms: Math.round(ms), ...retained, sizeBefore: before, sizeAfter: await sizeOf(client, 'partitioned'), eventsLeft: await countOf(client, 'partitioned') };
        log(`  DROP   (detach, keep ${retained.keptEvents} open events, drop): ${seconds(ms)}; ` +
          `${before} → ${result.drop.sizeAfter}; ${result.drop.eventsLeft} events left`);
      } finally {
        await prisma.$disconnect();
      }

      // Delete: the statement the hourly purge ran before, in its batches of 5000.
      let t = performance.now();
      await fill(client, 'unpartitioned', oldDay, today);
      log(`  unpartitioned: rows made in ${seconds(performance.now() - t)}; ${await sizeOf(client, 'unpartitioned')}`);
      const before = await sizeOf(client, 'unpartitioned');
      await client.query(`SET search_path TO "unpartitioned"`);
      t = performance.now();
      let deleted = 0;
      for (;;) {
        const r = await client.query(
          `DELETE FROM "events" WHERE "id" IN (
             SELECT "id" FROM "events" WHERE "createdAt" < $1 AND "status" NOT IN ('pending', 'processing') LIMIT 5000)`,
          [cutoff],
        );
        deleted += r.rowCount;
        if (r.rowCount < 5000) break;
      }
      const ms = performance.now() - t;
      const afterDelete = await sizeOf(client, 'unpartitioned');
      t = performance.now();
      await client.query(`VACUUM "events"`);
      await client.query(`VACUUM "deliveries"`);
      const vacuumMs = performance.now() - t;
      result.delete = {
        ms: Math.round(ms),
        deleted,
        vacuumMs: Math.round(vacuumMs),
        sizeBefore: before,
        sizeAfterDelete: afterDelete,
        sizeAfterVacuum: await sizeOf(client, 'unpartitioned'),
        eventsLeft: await countOf(client, 'unpartitioned'),
      };
      log(`  DELETE (batches of 5000, deliveries by cascade): ${seconds(ms)} for ${deleted.toLocaleString('en')} events; ` +
        `${before} → ${afterDelete} (space stays until VACUUM: ${seconds(vacuumMs)} more, and the files keep their size)`);
    });
    result.ratio = Math.round((result.delete.ms / Math.max(1, result.drop.ms)) * 10) / 10;
    log(`  → drop ${seconds(result.drop.ms)} vs delete ${seconds(result.delete.ms)} (${result.ratio}× faster), ` +
      `both keeping ${result.pendingKept} pending events`);
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(path.join(ROOT, 'bench/results/retention.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    rmSync(oldMigrations, { recursive: true, force: true });
    await withClient(baseUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
