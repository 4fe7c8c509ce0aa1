/**
 * The delivery contract under faults (DESIGN.md, "The delivery contract"): the built services
 * as processes against a Postgres and a Redis of this suite's own, mail through a fault proxy
 * to the real SMTP sink, and one fault per scenario — a worker SIGKILLed twice, Redis killed
 * and restarted from its append-only file, Postgres stopped for 20 s, the SMTP relay down for
 * 2 minutes, a database error right after a send, concurrent re-drives, a push service's long
 * Retry-After next to email, SIGTERM with a hanging send. Each scenario prints its figures
 * (accepted / sent / duplicates / stranded / lost) and asserts what the contract promises:
 * nothing lost, nothing stranded, no message twice (outside the documented crash window).
 *
 * Run: `npm run test:faults` (one scenario: `npm run test:faults -- -t 'SIGKILL'`).
 */
import type { ChildProcess } from 'node:child_process';
import { generateVAPIDKeys } from 'web-push';
import { startWebPushReceiver, type WebPushReceiver } from '../../packages/channels/src/testing';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres';
import {
  EVENT_TYPE,
  drain,
  figuresOf,
  isTerminal,
  kill9,
  printSummary,
  report,
  startFaultStack,
  startLoad,
  statuses,
  waitUntil,
  type FaultStack,
} from '../helpers/fault-stack';

let postgres: PrivatePostgres;
let stack: FaultStack | undefined;

beforeAll(async () => {
  postgres = await startPrivatePostgres();
}, 180_000);

afterEach(async () => {
  await stack?.close();
  stack = undefined;
}, 60_000);

afterAll(async () => {
  printSummary();
  await postgres?.close();
}, 60_000);

/** Worker concurrency of the realtime lane in these scenarios (bounds the crash window). */
const CONCURRENCY = 10;
const WORKER_ENV = { WORKER_CONCURRENCY_REALTIME: String(CONCURRENCY) };

/** Resolves with the process's exit, or undefined after `timeoutMs`. */
function exitWithin(child: ChildProcess, timeoutMs: number): Promise<number | null | undefined> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

test('worker SIGKILLed mid-load twice in a row: nothing lost or stranded, duplicates only in the crash window', async () => {
  const startedAt = Date.now();
  stack = await startFaultStack(postgres, { env: WORKER_ENV });
  let worker = await stack.startWorker();
  const load = startLoad(stack, { count: 300, concurrency: 8, prefix: 'kill' });

  const kills: number[] = [];
  for (const after of [60, 60]) {
    const target = stack.sink.messages.length + after;
    await waitUntil(() => stack!.sink.messages.length >= target, 60_000, `${target} messages at the sink`);
    await kill9(worker);
    kills.push(stack.sink.messages.length);
    worker = await stack.startWorker();
  }
  await load.done;
  const final = await drain(stack, load.accepted, 150_000);
  const figures = report(
    figuresOf('worker SIGKILL x2', stack, load.accepted, final, startedAt,
      `kills at ${kills.join(', ')} messages; duplicates allowed ≤ ${kills.length * CONCURRENCY} (kills × concurrency); refused ${JSON.stringify(load.refused)}`),
  );
  expect({ stranded: figures.stranded, lost: figures.lost, notSent: figures.accepted - figures.sent }).toEqual({ stranded: 0, lost: 0, notSent: 0 });
  expect(figures.duplicates).toBeLessThanOrEqual(kills.length * CONCURRENCY);
}, 300_000);

test('Redis killed with -9 and restarted from its append-only file: every accepted event is sent once', async () => {
  const startedAt = Date.now();
  stack = await startFaultStack(postgres, { env: WORKER_ENV });
  await stack.startWorker();
  const load = startLoad(stack, { count: 300, concurrency: 4, perSecond: 20, prefix: 'redis' });
  // Mid-load, with the worker busy: Redis dies under both services.
  await waitUntil(() => load.accepted.length >= 60 && stack!.sink.messages.length >= 20, 60_000, '60 accepted, 20 at the sink');
  await stack.redis.kill9();
  const acceptedBefore = load.accepted.length;
  // The outage: a few seconds of refused pushes and failing workers.
  await new Promise((r) => setTimeout(r, 5_000));
  await stack.redis.restart();
  await load.done;
  const final = await drain(stack, load.accepted, 120_000);
  const figures = report(
    figuresOf('redis kill -9 + AOF restart', stack, load.accepted, final, startedAt,
      `killed after ${acceptedBefore} accepted, down 5 s; refused meanwhile ${JSON.stringify(load.refused)}`),
  );
  expect({ stranded: figures.stranded, lost: figures.lost, notSent: figures.accepted - figures.sent, duplicates: figures.duplicates }).toEqual({
    stranded: 0,
    lost: 0,
    notSent: 0,
    duplicates: 0,
  });
}, 240_000);

test('Postgres stopped for 20 s under load: delay, not lost or doubled messages', async () => {
  const startedAt = Date.now();
  stack = await startFaultStack(postgres, { env: WORKER_ENV });
  await stack.startWorker();
  const load = startLoad(stack, { count: 200, concurrency: 4, perSecond: 8, prefix: 'pg' });
  await waitUntil(() => stack!.sink.messages.length >= 30, 60_000, '30 messages at the sink');
  await stack.postgres.stop();
  const stoppedAt = Date.now();
  await new Promise((r) => setTimeout(r, 20_000));
  await stack.postgres.start();
  const downMs = Date.now() - stoppedAt;
  await load.done;
  const final = await drain(stack, load.accepted, 90_000);
  const figures = report(
    figuresOf('postgres stopped 20 s', stack, load.accepted, final, startedAt, `down ${(downMs / 1000).toFixed(1)} s; refused ${JSON.stringify(load.refused)}`),
  );
  // While Postgres is down the door says "unavailable, retry" (503), never an internal error.
  expect(Object.keys(load.refused).filter((status) => status !== '503')).toEqual([]);
  expect({ stranded: figures.stranded, lost: figures.lost, notSent: figures.accepted - figures.sent, duplicates: figures.duplicates }).toEqual({
    stranded: 0,
    lost: 0,
    notSent: 0,
    duplicates: 0,
  });
}, 300_000);

test('SMTP relay down for 2 minutes (connection refused): every event is sent once it is back', async () => {
  const startedAt = Date.now();
  // 200 ms base delay: five quick attempts cover seconds, not the outage; the email retry
  // window stays at its default.
  stack = await startFaultStack(postgres, { env: { ...WORKER_ENV, RETRY_BASE_DELAY_MS: '200' } });
  await stack.startWorker();
  const before = startLoad(stack, { count: 20, concurrency: 4, prefix: 'before' });
  await waitUntil(() => stack!.sink.messages.length >= 10, 60_000, '10 messages at the sink');
  await stack.proxy.down();
  const downAt = Date.now();
  await before.done;
  // Traffic keeps coming during the outage.
  const during = startLoad(stack, { count: 60, concurrency: 2, perSecond: 1, prefix: 'during' });
  await during.done;
  await new Promise((r) => setTimeout(r, Math.max(0, downAt + 120_000 - Date.now())));
  await stack.proxy.up();
  const downMs = Date.now() - downAt;
  const after = startLoad(stack, { count: 20, concurrency: 4, prefix: 'after' });
  await after.done;
  const ids = [...before.accepted, ...during.accepted, ...after.accepted];
  const final = await drain(stack, ids, 150_000);
  const figures = report(figuresOf('smtp relay down 2 min', stack, ids, final, startedAt, `relay refused connections for ${(downMs / 1000).toFixed(0)} s`));
  expect({ stranded: figures.stranded, lost: figures.lost, notSent: figures.accepted - figures.sent, duplicates: figures.duplicates }).toEqual({
    stranded: 0,
    lost: 0,
    notSent: 0,
    duplicates: 0,
  });
}, 420_000);

test('a database error right after a send: the message is not sent twice and the event ends sent', async () => {
  const startedAt = Date.now();
  stack = await startFaultStack(postgres, { env: WORKER_ENV });
  await stack.startWorker();
  // Warm up (connections, template cache), so the fault hits the send we aim at.
  const warm = startLoad(stack, { count: 3, concurrency: 1, prefix: 'warm' });
  await warm.done;
  expect([...(await drain(stack, warm.accepted, 30_000)).values()]).toEqual(['sent', 'sent', 'sent']);

  const s = stack;
  let restored: Promise<unknown> | undefined;
  let injectedAt = 0;
  let fault = '';
  // Once the sink has taken the message and before the worker hears so, its table goes away
  // for 3 s: the worker's record of the send fails. Should the worker hold a lock on the table
  // across the send (so the rename would wait for a reply we are holding back), its database
  // connections are terminated instead: an error right after the send all the same.
  s.proxy.afterMessage(async () => {
    try {
      await s.sqlAlone(`BEGIN; SET LOCAL lock_timeout = '1s'; ALTER TABLE ${s.schema}.deliveries RENAME TO deliveries_faulted; COMMIT`);
      fault = 'deliveries table renamed for 3 s';
      restored = new Promise((r) => setTimeout(r, 3_000)).then(() => s.sql(`ALTER TABLE ${s.schema}.deliveries_faulted RENAME TO deliveries`));
    } catch (error) {
      const killed = await s.sql(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      fault = `deliveries table locked (${(error as Error).message}): ${killed.length} database connections terminated`;
      restored = Promise.resolve();
    }
    injectedAt = Date.now();
  });
  const victim = startLoad(stack, { count: 1, concurrency: 1, prefix: 'victim' });
  await victim.done;
  await waitUntil(() => restored !== undefined, 30_000, 'the fault to be injected');
  await restored;
  // The same traffic afterwards goes through normally.
  const after = startLoad(stack, { count: 5, concurrency: 1, prefix: 'after' });
  await after.done;
  const ids = [...victim.accepted, ...after.accepted];
  const final = await drain(stack, ids, 60_000);
  const victimId = victim.accepted[0]!;
  const figures = report(
    figuresOf('db error right after a send', stack, ids, final, startedAt,
      `${fault} once the sink took event ${victimId}; that event reached the sink ${stack.arrivals.get(victimId)?.count ?? 0}x and ended ${final.get(victimId)} (fault at +${injectedAt - startedAt} ms)`),
  );
  expect({ victim: final.get(victimId), victimDeliveries: stack.arrivals.get(victimId)?.count }).toEqual({ victim: 'sent', victimDeliveries: 1 });
  expect({ stranded: figures.stranded, lost: figures.lost, notSent: figures.accepted - figures.sent, duplicates: figures.duplicates }).toEqual({
    stranded: 0,
    lost: 0,
    notSent: 0,
    duplicates: 0,
  });
}, 120_000);

test('concurrent re-drives of a deliveryFailed event: exactly one 202, one email', async () => {
  const startedAt = Date.now();
  let refusing = true;
  stack = await startFaultStack(postgres, {
    env: WORKER_ENV,
    smtpReply: (stage) => (refusing && stage === 'data' ? { code: 554, message: '5.7.1 Refused until the test says so' } : undefined),
  });
  await stack.startWorker();
  const failed = startLoad(stack, { count: 1, concurrency: 1, prefix: 'redrive' });
  await failed.done;
  const id = failed.accepted[0]!;
  expect((await drain(stack, [id], 30_000)).get(id)).toBe('deliveryFailed');
  refusing = false;

  const answers = await Promise.all(Array.from({ length: 3 }, () => stack!.system.api('POST', `/v1/events/${id}/retry`)));
  const codes = answers.map((a) => a.status).sort();
  const final = await drain(stack, [id], 30_000);
  // Every job a re-drive enqueued has run by the time the queue is idle.
  await waitUntil(async () => {
    const counts = await stack!.jobCounts();
    return counts.waiting! + counts.active! + counts.delayed! + counts.prioritized! === 0;
  }, 30_000, 'the queue to be idle');
  const figures = report(figuresOf('concurrent re-drives x3', stack, [id], final, startedAt, `retry answers ${codes.join(', ')}`));
  expect({ codes, deliveries: stack.arrivals.get(id)?.count ?? 0, status: final.get(id) }).toEqual({ codes: [202, 409, 409], deliveries: 1, status: 'sent' });
  expect(figures.duplicates).toBe(0);
}, 120_000);

test('a push service answering 429 with Retry-After 3600 next to email traffic: the emails go out within 10 s', async () => {
  const startedAt = Date.now();
  const vapid = { ...generateVAPIDKeys(), subject: 'mailto:ops@shop.example.test' };
  const receiver: WebPushReceiver = await startWebPushReceiver({ vapidPublicKey: vapid.publicKey });
  try {
    stack = await startFaultStack(postgres, {
      env: {
        ...WORKER_ENV,
        VAPID_PUBLIC_KEY: vapid.publicKey,
        VAPID_PRIVATE_KEY: vapid.privateKey,
        VAPID_SUBJECT: vapid.subject,
        NODE_EXTRA_CA_CERTS: receiver.caFile,
        OUTBOUND_ALLOW_PRIVATE: '127.0.0.1',
      },
      templates: [{ channel: 'push', content: { title: 'Push {{ ctx.n }}', body: 'Body {{ ctx.n }}' } }],
    });
    await stack.startWorker();
    const throttled = receiver.subscribe({ reply: { status: 429, headers: { 'Retry-After': '3600' } } });
    const pushBody = (n: number) => ({
      type: EVENT_TYPE,
      wishedChannel: 'push',
      push: { webPush: { endpoint: throttled.endpoint, keys: throttled.keys } },
      ctx: { n },
    });
    const first = startLoad(stack, { count: 1, concurrency: 1, prefix: 'push', body: pushBody });
    await first.done;
    await waitUntil(() => receiver.received.length + receiver.rejected.length >= 1, 30_000, 'the first push to be answered 429');
    // More pushes through the held provider than the worker has slots, then email.
    const pushes = startLoad(stack, { count: 2 * CONCURRENCY, concurrency: 4, prefix: 'push', body: (n) => pushBody(n + 1) });
    await pushes.done;
    const emails = startLoad(stack, { count: 20, concurrency: 4, prefix: 'email' });
    await emails.done;
    const emailStatuses = await drain(stack, emails.accepted, 30_000);
    const latencies = emails.accepted.map((id) => {
      const arrival = stack!.arrivals.get(id);
      return arrival ? arrival.first - emails.acceptedAt.get(id)! : Infinity;
    });
    const slowest = Math.max(...latencies);
    // Anything that waits does so as a delayed job, not in a worker slot.
    let counts = await stack.jobCounts();
    const settled = Date.now() + 10_000;
    while (counts.active! > 0 && Date.now() < settled) {
      await new Promise((r) => setTimeout(r, 250));
      counts = await stack.jobCounts();
    }
    const pushIds = [...first.accepted, ...pushes.accepted];
    const pushStatuses = await statuses(stack, pushIds);
    // A push may wait out the hour as a delayed job; one that is neither terminal nor delayed
    // (held in a worker slot, or without a job) is stranded.
    const pushJobs = await Promise.all(pushIds.map(async (id) => (isTerminal(pushStatuses.get(id)) ? 'done' : await stack!.jobState(id))));
    const figures = figuresOf('push 429 Retry-After 3600 + email', stack, emails.accepted, emailStatuses, startedAt,
      `emails: slowest ${Number.isFinite(slowest) ? `${(slowest / 1000).toFixed(1)} s` : 'never'} from acceptance to the sink; ` +
        `pushes ${JSON.stringify(Object.fromEntries(countBy([...pushStatuses.values()])))} with jobs ${JSON.stringify(Object.fromEntries(countBy(pushJobs)))}`);
    figures.accepted += pushIds.length;
    figures.stranded += pushJobs.filter((state) => state !== 'done' && state !== 'delayed').length;
    report(figures);
    expect({ emailsSent: figures.byStatus.sent ?? 0, lost: figures.lost, duplicates: figures.duplicates, activeJobs: counts.active }).toEqual({
      emailsSent: 20,
      lost: 0,
      duplicates: 0,
      activeJobs: 0,
    });
    expect(slowest).toBeLessThanOrEqual(10_000);
    expect(figures.stranded).toBe(0);
  } finally {
    await receiver.close();
  }
}, 180_000);

test('SIGTERM under load with a hanging send: the worker exits within the grace, and after restart every event ends terminal, once', async () => {
  const startedAt = Date.now();
  const GRACE_MS = 3_000;
  const MARGIN_MS = 2_000;
  stack = await startFaultStack(postgres, { env: { ...WORKER_ENV, SHUTDOWN_GRACE_MS: String(GRACE_MS) } });
  const worker = await stack.startWorker();
  const load = startLoad(stack, { count: 150, concurrency: 8, prefix: 'term' });
  await waitUntil(() => stack!.sink.messages.length >= 30, 60_000, '30 messages at the sink');
  // The relay stops answering: the sends in progress hang.
  stack.proxy.stall();
  await waitUntil(() => stack!.proxy.hangingConnections > 0, 30_000, 'a send to hang');
  const signalledAt = Date.now();
  worker.kill('SIGTERM');
  let code = await exitWithin(worker, 15_000);
  const exitMs = Date.now() - signalledAt;
  const exited = code !== undefined;
  if (!exited) {
    await kill9(worker);
    code = null;
  }
  stack.proxy.unstall();
  await stack.startWorker();
  await load.done;
  const final = await drain(stack, load.accepted, 150_000);
  const figures = report(
    figuresOf('SIGTERM with hanging send', stack, load.accepted, final, startedAt,
      exited ? `worker exited ${exitMs} ms after SIGTERM (code ${code}), grace ${GRACE_MS} ms` : `worker still running ${exitMs} ms after SIGTERM (grace ${GRACE_MS} ms): SIGKILLed`),
  );
  expect({ exited, withinGrace: exitMs <= GRACE_MS + MARGIN_MS }).toEqual({ exited: true, withinGrace: true });
  expect({ stranded: figures.stranded, lost: figures.lost, notSent: figures.accepted - figures.sent, duplicates: figures.duplicates }).toEqual({
    stranded: 0,
    lost: 0,
    notSent: 0,
    duplicates: 0,
  });
}, 300_000);

function countBy(values: Array<string | undefined>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v ?? 'noRow', (counts.get(v ?? 'noRow') ?? 0) + 1);
  return counts;
}
