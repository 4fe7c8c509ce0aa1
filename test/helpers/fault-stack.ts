/**
 * The system under a fault test: the built ingest service and worker as processes against a
 * Postgres and a Redis of the test's own, mail through a fault proxy to the real SMTP sink,
 * plus what a scenario needs to load it, drain it and count what happened to every accepted
 * event (one row of figures per scenario).
 */
import type { ChildProcess } from 'node:child_process';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { TERMINAL_STATUSES, type EventStatus } from '@mc/core';
import { QUEUE_NAMES, eventJobId } from '@mc/contracts';
import { startSmtpSink, type SmtpReplyPolicy, type SmtpSink } from '../../packages/channels/src/testing';
import { startSystem, type System } from './system';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import type { PrivatePostgres } from './private-postgres';
import { startPrivateRedis, type PrivateRedis } from './private-redis';

export const EVENT_TYPE = 'FAULT';
const MJML = '<mjml><mj-body><mj-section><mj-column><mj-text>Message {{ ctx.n }}</mj-text></mj-column></mj-section></mj-body></mjml>';
/** The subject carries the event id, so the sink counts deliveries per event. */
const SUBJECT = 'E{{ eventId }}';
const SUBJECT_ID = /^E(\d+)$/;

export interface FaultStackOptions {
  /** Environment for both services, on top of the short retry settings below. */
  env?: Record<string, string>;
  smtpReply?: SmtpReplyPolicy;
  /** Extra templates to publish for the FAULT type (e.g. push). */
  templates?: Array<{ channel: 'sms' | 'push'; content: Record<string, unknown> }>;
}

export interface FaultStack {
  system: System;
  redis: PrivateRedis;
  postgres: PrivatePostgres;
  sink: SmtpSink;
  proxy: FaultProxy;
  /** The test schema's name in the private Postgres, quoted for SQL. */
  schema: string;
  /** A query against the private Postgres (throws while it is down). */
  sql<R extends pg.QueryResultRow = any>(text: string, params?: unknown[]): Promise<R[]>;
  /** Runs `text` (may be several statements) on a connection of its own, closed afterwards. */
  sqlAlone(text: string): Promise<void>;
  /** Starts one worker process (with extra env); its handle, to signal it. */
  startWorker(extraEnv?: Record<string, string>): Promise<ChildProcess>;
  /** When each event id first reached the sink, and how many times (up to date when read). */
  readonly arrivals: Map<string, { first: number; count: number }>;
  /** Jobs of the realtime lane by state (waiting, active, delayed, ...). */
  jobCounts(): Promise<Record<string, number>>;
  /** The state of an event's (first) job in the realtime lane: delayed, active, ... or `missing`. */
  jobState(eventId: string): Promise<string>;
  close(): Promise<void>;
}

/** Short retries, so a scenario is not waiting on production backoff; the fix's knobs too. */
export const QUICK_RETRIES = { RETRY_BASE_DELAY_MS: '200', BREAKER_PROBE_INTERVAL_MS: '1000' };

export async function startFaultStack(postgres: PrivatePostgres, options: FaultStackOptions = {}): Promise<FaultStack> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((e) => process.stderr.write(`fault stack cleanup: ${String(e)}\n`));
  };
  try {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.close());
    const sink = await startSmtpSink(options.smtpReply ? { reply: options.smtpReply } : {});
    cleanups.push(() => sink.close());
    const proxy = await startFaultProxy({ host: sink.host, port: sink.port });
    cleanups.push(() => proxy.close());
    const system = await startSystem({
      databaseUrl: postgres.url,
      redisUrl: redis.url,
      sink,
      smtpUrl: proxy.url,
      workers: 0,
      env: { LOG_LEVEL: 'warn', ...QUICK_RETRIES, ...options.env },
    });
    cleanups.push(() => system.stop());
    const schema = `"${system.db.schema}"`;

    const pool = new pg.Pool({ connectionString: postgres.url, max: 2 });
    // A stopped or restarted server breaks idle clients; the next query gets a fresh one.
    pool.on('error', () => undefined);
    cleanups.push(() => pool.end());
    const queueConnection = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    queueConnection.on('error', () => undefined);
    cleanups.push(async () => queueConnection.disconnect());
    const queue = new Queue(QUEUE_NAMES.realtime, { connection: queueConnection, prefix: system.queuePrefix });
    queue.on('error', () => undefined);
    cleanups.push(() => queue.close());

    const arrivals = new Map<string, { first: number; count: number }>();
    let seen = 0;
    // Scanned often (for arrival times) and on every read (so no message is missed).
    const scan = () => {
      for (; seen < sink.messages.length; seen++) {
        const id = SUBJECT_ID.exec(sink.messages[seen]!.parsed.subject ?? '')?.[1] ?? `?${sink.messages[seen]!.envelope.rcptTo[0]}`;
        const entry = arrivals.get(id);
        if (entry) entry.count += 1;
        else arrivals.set(id, { first: Date.now(), count: 1 });
      }
      return arrivals;
    };
    const watch = setInterval(scan, 20);
    cleanups.push(async () => clearInterval(watch));

    expect((await system.api('POST', '/v1/event-types', { key: EVENT_TYPE, label: 'Fault scenario' })).status).toBe(201);
    const templates = [{ channel: 'email', content: { subject: SUBJECT, mjml: MJML } }, ...(options.templates ?? [])];
    for (const template of templates) {
      const created = await system.api('POST', '/v1/templates', { eventType: EVENT_TYPE, name: template.channel, ...template });
      expect(created.status).toBe(201);
      expect((await system.api('POST', `/v1/templates/${created.body.id}/publish`)).status).toBe(201);
    }

    return {
      system,
      redis,
      postgres,
      sink,
      proxy,
      schema,
      async sql(text, params) {
        return (await pool.query(text, params as never)).rows;
      },
      async sqlAlone(text) {
        const client = new pg.Client({ connectionString: postgres.url });
        client.on('error', () => undefined);
        await client.connect();
        try {
          await client.query(text);
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      startWorker: (extraEnv) => system.startWorker(extraEnv),
      get arrivals() {
        return scan();
      },
      jobCounts: () => queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'),
      async jobState(eventId) {
        const job = await queue.getJob(eventJobId(eventId));
        return job ? String(await job.getState()) : 'missing';
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Ends a process: SIGKILL now, resolved when it is gone. */
export async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Polls `condition` until it holds, or fails with `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve(condition()).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Load {
  /** Accepted (202) event ids, in order. */
  accepted: string[];
  /** Acceptance time per event id. */
  acceptedAt: Map<string, number>;
  /** Answers other than 202 (status or error name → count): refused at the door, not accepted. */
  refused: Record<string, number>;
  done: Promise<void>;
}

/**
 * Pushes `count` email events to the ingest service, `concurrency` requests at a time and at
 * most `perSecond` when given; each addressed to its own recipient. Only 202s count as accepted.
 */
export function startLoad(
  stack: FaultStack,
  options: { count: number; concurrency?: number; perSecond?: number; prefix: string; body?: (n: number) => Record<string, unknown> },
): Load {
  const load: Load = { accepted: [], acceptedAt: new Map(), refused: {}, done: Promise.resolve() };
  const started = Date.now();
  let next = 0;
  const one = async (n: number) => {
    if (options.perSecond) {
      const at = started + (n * 1000) / options.perSecond;
      if (at > Date.now()) await new Promise((r) => setTimeout(r, at - Date.now()));
    }
    const body = options.body?.(n) ?? { type: EVENT_TYPE, email: `${options.prefix}${n}@example.com`, ctx: { n } };
    try {
      const response = await fetch(`${stack.system.baseUrl}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.system.ingestKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      if (response.status === 202) {
        const id = JSON.parse(text).id as string;
        load.accepted.push(id);
        load.acceptedAt.set(id, Date.now());
      } else {
        load.refused[String(response.status)] = (load.refused[String(response.status)] ?? 0) + 1;
      }
    } catch (error) {
      const name = (error as Error).name || 'error';
      load.refused[name] = (load.refused[name] ?? 0) + 1;
    }
  };
  const lane = async () => {
    while (next < options.count) await one(next++);
  };
  load.done = Promise.all(Array.from({ length: options.concurrency ?? 8 }, lane)).then(() => undefined);
  return load;
}

/** Status per event id as Postgres has it (no row: undefined); throws while Postgres is down. */
export async function statuses(stack: FaultStack, ids: string[]): Promise<Map<string, EventStatus | undefined>> {
  const rows = await stack.sql<{ id: string; status: EventStatus }>(
    `SELECT id::text AS id, status::text AS status FROM ${stack.schema}.events WHERE id = ANY($1::bigint[])`,
    [ids],
  );
  const found = new Map(rows.map((r) => [r.id, r.status]));
  return new Map(ids.map((id) => [id, found.get(id)]));
}

export const isTerminal = (status: EventStatus | undefined) => status !== undefined && TERMINAL_STATUSES.has(status);

/** Waits until every id has a terminal status, or the deadline; returns the last statuses seen. */
export async function drain(stack: FaultStack, ids: string[], timeoutMs: number): Promise<Map<string, EventStatus | undefined>> {
  const deadline = Date.now() + timeoutMs;
  let last = new Map<string, EventStatus | undefined>(ids.map((id) => [id, undefined]));
  for (;;) {
    try {
      last = await statuses(stack, ids);
      if ([...last.values()].every(isTerminal)) return last;
    } catch {
      // Postgres restarting: look again
    }
    if (Date.now() > deadline) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface Figures {
  scenario: string;
  accepted: number;
  /** Accepted events whose status is `sent`. */
  sent: number;
  /** Deliveries at the sink beyond the first, per event id. */
  duplicates: number;
  /** Accepted events not terminal after the drain (no row counts too). */
  stranded: number;
  /** Accepted events that never reached the sink though every one should have. */
  lost: number;
  durationMs: number;
  /** Status → count over the accepted events. */
  byStatus: Record<string, number>;
  notes: string;
}

/** The figures of a scenario over `ids`, all of which should have been sent. */
export function figuresOf(
  scenario: string,
  stack: FaultStack,
  ids: string[],
  final: Map<string, EventStatus | undefined>,
  startedAt: number,
  notes = '',
): Figures {
  const byStatus: Record<string, number> = {};
  for (const status of final.values()) byStatus[status ?? 'noRow'] = (byStatus[status ?? 'noRow'] ?? 0) + 1;
  let duplicates = 0;
  let lost = 0;
  for (const id of ids) {
    const count = stack.arrivals.get(id)?.count ?? 0;
    if (count === 0) lost += 1;
    else duplicates += count - 1;
  }
  const lostIds = ids.filter((id) => !stack.arrivals.has(id));
  const unmatched = [...stack.arrivals.keys()].filter((key) => key.startsWith('?'));
  if (lostIds.length || unmatched.length) {
    const shown = lostIds.slice(0, 5).map((id) => `${id}:${final.get(id) ?? 'noRow'}`);
    notes += `${notes ? '; ' : ''}never at the sink: ${shown.join(' ')}${lostIds.length > 5 ? ' …' : ''}` +
      (unmatched.length ? `; sink messages without an event id: ${unmatched.length}` : '');
  }
  return {
    scenario,
    accepted: ids.length,
    sent: byStatus.sent ?? 0,
    duplicates,
    stranded: [...final.values()].filter((s) => !isTerminal(s)).length,
    lost,
    durationMs: Date.now() - startedAt,
    byStatus,
    notes,
  };
}

const rows: Figures[] = [];
const COLUMNS = ['scenario', 'accepted', 'sent', 'duplicates', 'stranded', 'lost', 'duration'] as const;

function cells(f: Figures): string[] {
  return [f.scenario, String(f.accepted), String(f.sent), String(f.duplicates), String(f.stranded), String(f.lost), `${(f.durationMs / 1000).toFixed(1)} s`];
}

/** Prints a scenario's row (and its status breakdown and notes) as soon as it is known. */
export function report(figures: Figures): Figures {
  rows.push(figures);
  const line = COLUMNS.map((c, i) => `${c}=${cells(figures)[i]}`).join('  ');
  process.stdout.write(`\n[faults] ${line}\n[faults]   statuses ${JSON.stringify(figures.byStatus)}${figures.notes ? `; ${figures.notes}` : ''}\n`);
  return figures;
}

/** The summary table of every scenario reported in this process. */
export function printSummary(): void {
  if (rows.length === 0) return;
  const table = [COLUMNS.map(String), ...rows.map(cells)];
  const widths = COLUMNS.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  const format = (r: string[]) => `| ${r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  const lines = [format(table[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...table.slice(1).map(format)];
  process.stdout.write(`\n[faults] summary\n${lines.join('\n')}\n${rows.map((r) => `  ${r.scenario}: ${r.notes}`).join('\n')}\n`);
}
