// What partitioning costs the worker's hot path: EventsRepository.begin + settle (the two
// statements a delivered event costs in Postgres), one event at a time, against the partitioned
// event log with 93 day partitions (90 days of retention and today plus two ahead) and against
// the unpartitioned tables of the migrations before it. Rounds alternate between the two (A-B,
// B-A, ...) so a busy machine slows both alike; the first round of each is a warm-up.
//
//   node scripts/ensure-ready.mjs && node bench/partition-overhead.bench.mjs
//   BENCH_OVERHEAD_EVENTS=5000 BENCH_OVERHEAD_ROUNDS=5 node bench/partition-overhead.bench.mjs
//
// Works in a scratch database of its own (created, then dropped).
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const pg = require('pg');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const db = require(path.join(ROOT, 'packages/db/dist/index.js'));
const { EventIdGenerator } = require(path.join(ROOT, 'packages/core/dist/index.js'));

const N = Number(process.env.BENCH_OVERHEAD_EVENTS ?? 2000);
const ROUNDS = Number(process.env.BENCH_OVERHEAD_ROUNDS ?? 4);
const PAST_DAYS = 90;
const DAY = 86_400_000;
const baseUrl = process.env.DATABASE_URL || db.DEFAULT_DATABASE_URL;
const database = `mc_bench_overhead_${randomBytes(4).toString('hex')}`;
const url = new URL(baseUrl);
url.pathname = `/${database}`;
url.search = '';
const dbUrl = url.toString();

async function admin(sql) {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function round(events, typeId, ids) {
  const latencies = [];
  const begins = [];
  for (let i = 0; i < N; i++) {
    const id = ids.next();
    const start = performance.now();
    await events.begin({ id, eventTypeId: typeId, type: 'H', lane: 'realtime', channel: 'email', payload: { email: 'a@example.com' }, createdAt: new Date(), suppressionAddress: 'a@example.com' });
    begins.push(performance.now() - start);
    await events.settle(id, {
      status: 'sent',
      attempt: { channel: 'email', provider: 'smtp', deliveryStatus: 'sent', entry: { at: new Date().toISOString(), provider: 'smtp', outcome: 'sent' }, providerMessageId: `<${id}@x>` },
    });
    latencies.push(performance.now() - start);
  }
  latencies.sort((a, b) => a - b);
  begins.sort((a, b) => a - b);
  return {
    p50: latencies[Math.floor(N / 2)],
    p99: latencies[Math.floor(N * 0.99)],
    mean: latencies.reduce((a, b) => a + b, 0) / N,
    beginP50: begins[Math.floor(N / 2)],
  };
}

async function main() {
  await admin(`CREATE DATABASE "${database}"`);
  const oldMigrations = mkdtempSync(path.join(os.tmpdir(), 'mc-bench-migrations-'));
  const clients = [];
  try {
    cpSync(db.DEFAULT_MIGRATIONS_DIR, oldMigrations, { recursive: true });
    rmSync(path.join(oldMigrations, '20261130120000_partitioned_event_log'), { recursive: true });
    await db.applyMigrations({ databaseUrl: dbUrl, schema: 'unpartitioned', migrationsDir: oldMigrations });
    await db.applyMigrations({ databaseUrl: dbUrl, schema: 'partitioned' });
    const setups = [];
    for (const schema of ['unpartitioned', 'partitioned']) {
      const prisma = db.createPrismaClient({ databaseUrl: dbUrl, schema, poolMax: 2 });
      clients.push(prisma);
      if (schema === 'partitioned') {
        const partitions = new db.EventLogPartitionsRepository(prisma);
        for (let d = 1; d <= PAST_DAYS; d++) await partitions.createDay(db.dayOf(Date.now() - d * DAY));
        console.log(`partitioned: ${(await partitions.list()).length} day partitions + default`);
      }
      const type = await new db.EventTypesRepository(prisma).create({ key: 'H', label: 'H' });
      setups.push({ schema, events: new db.EventsRepository(prisma), typeId: type.id, results: [] });
    }
    const ids = new EventIdGenerator(7);
    for (let r = 0; r <= ROUNDS; r++) {
      // A-B, then B-A: whichever runs second in a round meets a warmer (or busier) server.
      for (const setup of r % 2 === 0 ? setups : [...setups].reverse()) {
        const result = await round(setup.events, setup.typeId, ids);
        if (r > 0) setup.results.push(result);
      }
    }
    const fmt = (ms) => `${ms.toFixed(2)} ms`;
    const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
    for (const { schema, results } of setups) {
      console.log(
        `${schema.padEnd(13)} begin+settle, ${ROUNDS} rounds of ${N}: median p50 ${fmt(median(results.map((x) => x.p50)))}, ` +
          `median p99 ${fmt(median(results.map((x) => x.p99)))}, median mean ${fmt(median(results.map((x) => x.mean)))} ` +
          `(begin alone: median p50 ${fmt(median(results.map((x) => x.beginP50)))})`,
      );
    }
  } finally {
    await Promise.all(clients.map((c) => c.$disconnect()));
    rmSync(oldMigrations, { recursive: true, force: true });
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
