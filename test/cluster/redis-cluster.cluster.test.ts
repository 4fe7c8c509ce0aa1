/**
 * The whole system on a real 3-master Redis Cluster (`npm run test:cluster`): the ingest and
 * two worker processes with REDIS_CLUSTER_NODES and QUEUE_SHARDS=3, one worker consuming shard
 * 0 and the other shards 1 and 2 (WORKER_SHARDS), so every check below covers both.
 * - single and batch events with Idempotency-Keys, repeats included, are each delivered once;
 * - the queues' keys sit on at least two masters, each queue's keys in one slot, a lane's three
 *   shards on three masters;
 * - a template publish reaches both workers (pub/sub across cluster nodes); re-drives find
 *   their shard;
 * - EMAIL_RATE_PER_SECOND holds across the two workers (the gate's script on one slot), and
 *   INGEST_RATE_PER_KEY across two more ingest replicas, which share idempotency keys too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { clusterSlot, laneQueueNames, shardOf } from '@mc/contracts';
import { startRedisCluster, type RedisClusterHandle } from '../helpers/redis-cluster';
import { freePort, startSystem, waitForStatus, type System } from '../helpers/system';
import type { SmtpReplyPolicy } from '../../packages/channels/src/testing';

jest.setTimeout(180_000);

const SHARDS = 3;
const RATE = 20;
const MJML = `<mjml><mj-body><mj-section><mj-column><mj-text>{{ ctx.body }}</mj-text></mj-column></mj-section></mj-body></mjml>`;

let cluster: RedisClusterHandle;
let system: System;
let templateId: string;
/** When each message reached the sink's DATA stage, by recipient. */
const arrivals = new Map<string, number>();
const stamp: SmtpReplyPolicy = (stage, recipient) => {
  if (stage === 'data') arrivals.set(recipient, Date.now());
  return undefined;
};

const push = (body: unknown, key?: string) => system.api('POST', '/v1/events', body, system.ingestKey, key ? { 'idempotency-key': key } : {});
const batch = (events: unknown[]) => system.api('POST', '/v1/events/batch', { events }, system.ingestKey);
const note = (to: string, extra: Record<string, unknown> = {}) => ({ type: 'NOTE', email: to, ctx: { body: to }, ...extra });
const mailsTo = (to: string) => system.sink.messages.filter((m) => m.envelope.rcptTo.includes(to));
const allSent = async (ids: string[]) => {
  for (const id of ids) expect((await waitForStatus(system, id, ['sent', 'deliveryFailed', 'routingFailed'], 60_000)).status).toBe('sent');
};

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  try {
    system = await startSystem({
      smtpReply: stamp,
      workers: 0,
      // Marks the Redis as the test's own (nothing to clean up key by key: the cluster goes whole).
      redisUrl: `redis://127.0.0.1:${cluster.ports[0]}`,
      env: {
        REDIS_CLUSTER_NODES: cluster.seeds,
        QUEUE_SHARDS: String(SHARDS),
        EMAIL_RATE_PER_SECOND: String(RATE),
        // Long enough that only a change notice, not the cache's expiry, makes a worker see a publish.
        TEMPLATE_CACHE_MS: '600000',
      },
    });
    await system.startWorker({ WORKER_SHARDS: '0' });
    await system.startWorker({ WORKER_SHARDS: '1,2' });
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  expect((await system.api('POST', '/v1/event-types', { key: 'NOTE', label: 'Note' })).status).toBe(201);
  const created = await system.api('POST', '/v1/templates', { eventType: 'NOTE', channel: 'email', name: 'note', content: { subject: 'v1 {{ ctx.body }}', mjml: MJML } });
  expect(created.status).toBe(201);
  templateId = created.body.id;
  expect((await system.api('POST', `/v1/templates/${templateId}/publish`)).status).toBe(201);
});

afterAll(async () => {
  // Nothing the services did may have been refused by the cluster (CROSSSLOT, MOVED loops, ...).
  const printed = system?.output.join('') ?? '';
  await system?.stop();
  await cluster?.stop();
  expect(printed).not.toMatch(/CROSSSLOT|ClusterAllFailedError|Too many Cluster redirections/);
});

test('single and batch events with Idempotency-Keys, repeats included, are each delivered exactly once', async () => {
  const singles: string[] = [];
  for (let i = 0; i < 9; i++) {
    const accepted = await push(note(`single${i}@example.com`), `single-${i}`);
    expect(accepted.status).toBe(202);
    singles.push(accepted.body.id);
  }
  for (let i = 0; i < 9; i += 3) {
    const again = await push(note(`single${i}@example.com`), `single-${i}`);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(singles[i]);
  }
  const items = Array.from({ length: 30 }, (_, i) => note(`batch${i}@example.com`, { idempotencyKey: `batch-${i}` }));
  const first = await batch(items);
  expect(first.status).toBe(202);
  expect(first.body.accepted).toBe(30);
  const batchIds: string[] = first.body.results.map((r: { id: string }) => r.id);
  // The whole batch again, plus one new item: the repeats answer the first ids.
  const repeat = await batch([...items, note('batch30@example.com', { idempotencyKey: 'batch-30' })]);
  expect(repeat.status).toBe(202);
  expect(repeat.body.results.slice(0, 30).map((r: { id: string }) => r.id)).toEqual(batchIds);
  batchIds.push(repeat.body.results[30].id);

  // The events landed on every shard, so both workers (shard 0; shards 1 and 2) delivered.
  expect(new Set([...singles, ...batchIds].map((id) => shardOf(id, SHARDS)))).toEqual(new Set([0, 1, 2]));
  await allSent([...singles, ...batchIds]);
  await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive now
  for (let i = 0; i < 9; i++) expect(mailsTo(`single${i}@example.com`)).toHaveLength(1);
  for (let i = 0; i <= 30; i++) expect(mailsTo(`batch${i}@example.com`)).toHaveLength(1);
  // An event is found in its shard by its id alone.
  const view = await system.api('GET', `/v1/events/${batchIds[0]}`, undefined, system.ingestKey);
  expect(view.body).toMatchObject({ id: batchIds[0], status: 'sent' });
});

test("the queues' keys sit on at least two masters, each queue's keys in one slot, a lane's shards on three masters", async () => {
  const client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
  try {
    await new Promise<void>((resolve, reject) => client.once('ready', resolve).once('error', reject));
    const masters = client.nodes('master');
    expect(masters).toHaveLength(3);
    const keysPerMaster = await Promise.all(masters.map((node: Redis) => node.keys(`${system.queuePrefix}:*`)));
    const holding = keysPerMaster.filter((keys) => keys.length > 0);
    expect(holding.length).toBeGreaterThanOrEqual(2);
    // Every shard of both lanes has its keys, all in the one slot of its hash tag, and the three
    // shards of a lane sit on three different masters.
    for (const lane of ['realtime', 'batch'] as const) {
      const holders = new Set<number>();
      for (const queue of laneQueueNames(lane, { hashTagged: true, shards: SHARDS })) {
        const where = keysPerMaster.map((keys) => keys.filter((key) => key.startsWith(`${system.queuePrefix}:${queue}:`)));
        const master = where.findIndex((keys) => keys.length > 0);
        expect(master).toBeGreaterThanOrEqual(0);
        expect(where.filter((keys) => keys.length > 0)).toHaveLength(1);
        holders.add(master);
        const slots = new Set(await Promise.all(where[master]!.slice(0, 20).map((key) => masters[0]!.cluster('KEYSLOT', key))));
        expect([...slots]).toEqual([clusterSlot(queue)]);
      }
      expect(holders.size).toBe(SHARDS);
    }
    process.stdout.write(`cluster: keys per master ${JSON.stringify(keysPerMaster.map((keys) => keys.length))}\n`);
  } finally {
    client.disconnect();
  }
});

test('the dashboard, /metrics and the console read every shard of both lanes; bad keys are counted', async () => {
  const names = [...laneQueueNames('realtime', { hashTagged: true, shards: SHARDS }), ...laneQueueNames('batch', { hashTagged: true, shards: SHARDS })];
  const dashboard = await system.api('GET', '/admin/queues/api/queues');
  expect(dashboard.status).toBe(200);
  expect(dashboard.body.queues.map((q: { name: string }) => q.name).sort()).toEqual([...names].sort());
  const metrics = await fetch(`${system.baseUrl}/metrics`, { headers: { authorization: `Bearer ${system.adminKey}` } });
  const text = await metrics.text();
  for (const name of [...names, '{webhooks}', '{maintenance}']) expect(text).toContain(`queue="${name}"`);
  const queues = await system.api('GET', '/v1/queues');
  expect(queues.status).toBe(200);
  expect(queues.body.lanes.find((l: { lane: string }) => l.lane === 'batch').counts.completed).toBeGreaterThan(0);
  // The auth-failure throttle's script runs in the cluster: a wrong key is a 401, not a 5xx.
  expect((await system.api('GET', '/v1/events', undefined, 'not-a-key-of-ours-at-all')).status).toBe(401);
});

test('a template publish reaches both workers: the next events render with the new version on every shard', async () => {
  const patched = await system.api('PATCH', `/v1/templates/${templateId}`, { content: { subject: 'v2 {{ ctx.body }}', mjml: MJML } });
  expect(patched.status).toBe(200);
  const published = await system.api('POST', `/v1/templates/${templateId}/publish`);
  expect(published.status).toBe(201);
  expect(published.body.version).toBe(2);
  await new Promise((r) => setTimeout(r, 500));
  const accepted = await batch(Array.from({ length: 24 }, (_, i) => note(`after${i}@example.com`)));
  const ids: string[] = accepted.body.results.map((r: { id: string }) => r.id);
  expect(new Set(ids.map((id) => shardOf(id, SHARDS)))).toEqual(new Set([0, 1, 2]));
  await allSent(ids);
  for (let i = 0; i < 24; i++) expect(mailsTo(`after${i}@example.com`)[0]?.parsed.subject).toBe(`v2 after${i}@example.com`);
});

test('a re-drive finds its shard: events that ended routingFailed are delivered after a publish and a retry', async () => {
  expect((await system.api('POST', '/v1/event-types', { key: 'LATER', label: 'Later' })).status).toBe(201);
  const accepted = await batch(Array.from({ length: 6 }, (_, i) => ({ ...note(`later${i}@example.com`), type: 'LATER' })));
  const ids: string[] = accepted.body.results.map((r: { id: string }) => r.id);
  expect(new Set(ids.map((id) => shardOf(id, SHARDS))).size).toBeGreaterThan(1);
  for (const id of ids) expect((await waitForStatus(system, id, ['routingFailed'])).status).toBe('routingFailed');
  const created = await system.api('POST', '/v1/templates', { eventType: 'LATER', channel: 'email', name: 'later', content: { subject: 'later {{ ctx.body }}', mjml: MJML } });
  expect((await system.api('POST', `/v1/templates/${created.body.id}/publish`)).status).toBe(201);
  for (const id of ids) expect((await system.api('POST', `/v1/events/${id}/retry`)).status).toBe(202);
  await allSent(ids);
  for (let i = 0; i < 6; i++) expect(mailsTo(`later${i}@example.com`).map((m) => m.parsed.subject)).toEqual([`later later${i}@example.com`]);
});

test(`EMAIL_RATE_PER_SECOND=${RATE} holds across the two workers on the cluster`, async () => {
  const count = 60;
  const accepted = await batch(Array.from({ length: count }, (_, i) => note(`rate${i}@example.com`)));
  const ids: string[] = accepted.body.results.map((r: { id: string }) => r.id);
  await allSent(ids);
  const times = [...arrivals.entries()].filter(([to]) => to.startsWith('rate')).map(([, at]) => at).sort((a, b) => a - b);
  expect(times).toHaveLength(count);
  const rate = ((count - 1) / (times.at(-1)! - times[0]!)) * 1000;
  process.stdout.write(`cluster: EMAIL_RATE_PER_SECOND=${RATE}, measured ${rate.toFixed(2)}/s over ${count} messages from two workers\n`);
  // A ceiling shared by both workers (one limit in the cluster, not one per process), approached.
  expect(rate).toBeLessThanOrEqual(RATE * 1.15);
  expect(rate).toBeGreaterThanOrEqual(RATE * 0.6);
});

describe('two more ingest replicas with INGEST_RATE_PER_KEY', () => {
  const LIMIT = 20;
  const replicas: { url: string; child: ChildProcess }[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const child = spawn(process.execPath, [path.resolve(__dirname, '../../services/ingest/dist/server.js')], {
        env: { ...process.env, ...system.env, PORT: String(port), INGEST_RATE_PER_KEY: String(LIMIT) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (chunk) => system.output.push(String(chunk)));
      child.stderr!.on('data', (chunk) => system.output.push(String(chunk)));
      const url = `http://127.0.0.1:${port}`;
      replicas.push({ url, child });
      const deadline = Date.now() + 20_000;
      while (!(await fetch(`${url}/readyz`).then((r) => r.ok).catch(() => false))) {
        if (Date.now() > deadline) throw new Error(`ingest replica did not become ready:\n${system.output.join('')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  afterAll(async () => {
    await Promise.all(
      replicas.map(async ({ child }) => {
        if (child.exitCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }),
    );
  });

  const post = (replica: { url: string }, url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${replica.url}${url}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${system.ingestKey}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: await r.json() }));

  test('an Idempotency-Key used on one replica answers the same id on the other', async () => {
    const first = await post(replicas[0]!, '/v1/events', note('replica-key@example.com'), { 'idempotency-key': 'across-replicas' });
    const again = await post(replicas[1]!, '/v1/events', note('replica-key@example.com'), { 'idempotency-key': 'across-replicas' });
    expect(first.status).toBe(202);
    expect(again).toEqual({ status: 202, body: first.body });
    await allSent([first.body.id]);
  });

  test(`the per-key limit (${LIMIT}/s) is one count across both replicas`, async () => {
    // Start at the top of a second, so every request falls in the same one-second window.
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => post(replicas[i % 2]!, '/v1/events/batch', { events: Array.from({ length: 10 }, (_, n) => note(`limited${i}-${n}@example.com`)) })),
    );
    const statuses = answers.map((a) => a.status).sort();
    // 60 events asked for, 20 allowed in that second, whichever replica took them.
    expect(statuses).toEqual([202, 202, 429, 429, 429, 429]);
    for (const refused of answers.filter((a) => a.status === 429)) expect(refused.body).toMatchObject({ status: 429 });
    const ids = answers.filter((a) => a.status === 202).flatMap((a) => a.body.results.map((r: { id: string }) => r.id));
    await allSent(ids);
  });
});
