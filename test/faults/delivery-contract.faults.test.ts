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
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres';
import {
  drain,
  figuresOf,
  kill9,
  printSummary,
  report,
  startFaultStack,
  startLoad,
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
