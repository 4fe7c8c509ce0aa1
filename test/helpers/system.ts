/**
 * Starts the real system for an end-to-end test: the built ingest service and delivery
 * worker as separate processes, against the running Postgres (a migrated schema of the
 * test's own) and Redis (a queue prefix of the test's own), with an SMTP sink as the mail
 * relay. `stop()` ends the processes and removes everything the test created.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createTestSchema, type TestSchema } from '@mc/db';
import { startSmtpSink, type SmtpSink, type SmtpReplyPolicy } from '../../packages/channels/src/testing';

const ROOT = path.resolve(__dirname, '../..');
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface SystemOptions {
  smtpReply?: SmtpReplyPolicy;
  /** Extra environment for both services (e.g. DELIVERY_ATTEMPTS). */
  env?: Record<string, string>;
  workers?: number;
  /** A Postgres of the test's own (fault tests); the test schema is made there. @defaultValue DATABASE_URL */
  databaseUrl?: string;
  /** A Redis of the test's own (fault tests), left to its owner to remove. @defaultValue REDIS_URL */
  redisUrl?: string;
  /** An SMTP sink the test started (and closes) itself, e.g. behind a fault proxy. */
  sink?: SmtpSink;
  /** The relay the services use when it is not the sink itself (e.g. a proxy in front of it). */
  smtpUrl?: string;
}

export interface System {
  baseUrl: string;
  adminKey: string;
  ingestKey: string;
  sink: SmtpSink;
  db: TestSchema;
  queuePrefix: string;
  env: Record<string, string>;
  /** fetch against the ingest service with a key (admin by default). */
  api(method: string, url: string, body?: unknown, key?: string, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  /** The ingest service's process (e.g. to signal it). */
  ingest: ChildProcess;
  startWorker(extraEnv?: Record<string, string>): Promise<ChildProcess>;
  /** What the services printed (stdout and stderr), for a failure message. */
  output: string[];
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function startProcess(script: string, env: Record<string, string>, output: string[]): ChildProcess {
  const child = spawn(process.execPath, [path.join(ROOT, script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Kept for the failure message of a test; not printed otherwise.
  child.stdout!.on('data', (chunk) => output.push(String(chunk)));
  child.stderr!.on('data', (chunk) => output.push(String(chunk)));
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export async function startSystem(options: SystemOptions = {}): Promise<System> {
  const db = await createTestSchema(options.databaseUrl ?? DATABASE_URL);
  const sink = options.sink ?? (await startSmtpSink(options.smtpReply ? { reply: options.smtpReply } : {}));
  const redisUrl = options.redisUrl ?? REDIS_URL;
  const port = await freePort();
  const queuePrefix = `e2e-${randomBytes(4).toString('hex')}`;
  const adminKey = `admin-${randomBytes(12).toString('hex')}`;
  const ingestKey = `ingest-${randomBytes(12).toString('hex')}`;
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: queuePrefix,
    PORT: String(port),
    HOST: '127.0.0.1',
    SMTP_URL: options.smtpUrl ?? sink.url,
    MAIL_FROM: 'Message Center <mc@example.org>',
    MC_ADMIN_KEY: adminKey,
    MC_INGEST_KEY: ingestKey,
    LOG_LEVEL: 'warn',
    RETRY_BASE_DELAY_MS: '200',
    ...options.env,
  };
  const output: string[] = [];
  const processes: ChildProcess[] = [startProcess('services/ingest/dist/server.js', env, output)];
  const startWorker = async (extraEnv: Record<string, string> = {}) => {
    const worker = startProcess('services/worker/dist/main.js', { ...env, ...extraEnv }, output);
    processes.push(worker);
    return worker;
  };
  for (let i = 0; i < (options.workers ?? 1); i++) await startWorker();

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (!(await fetch(`${baseUrl}/readyz`).then((r) => r.ok).catch(() => false))) {
    if (Date.now() > deadline) {
      await Promise.all(processes.map(stopProcess));
      throw new Error(`ingest did not become ready:\n${output.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    baseUrl,
    adminKey,
    ingestKey,
    sink,
    db,
    queuePrefix,
    env,
    async api(method, url, body, key = adminKey, headers = {}) {
      const response = await fetch(`${baseUrl}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    ingest: processes[0]!,
    startWorker,
    output,
    async stop() {
      await Promise.all(processes.map(stopProcess));
      if (!options.sink) await sink.close();
      // A private Redis is removed whole by its owner (and may be down right now).
      if (options.redisUrl) return db.drop();
      const redis = new Redis(REDIS_URL);
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length) await redis.del(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
      await db.drop();
    },
  };
}

/** Polls an event until it reaches one of the statuses (or fails the test with its last state). */
export function waitForStatus(system: System, id: string, statuses: string[], timeoutMs = 20_000): Promise<any> {
  return waitForEvent(system, id, (event) => statuses.includes(event.status), statuses.join('|'), timeoutMs);
}

/**
 * Polls an event until `predicate` holds for its view (e.g. pending with a next attempt time),
 * or fails the test with its last state. Returns the matching view.
 */
export async function waitForEvent(
  system: System,
  id: string,
  predicate: (event: any) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const { status, body } = await system.api('GET', `/v1/events/${id}`, undefined, system.ingestKey);
    last = body;
    if (status === 200 && predicate(body)) return body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`event ${id} never was ${what}; last seen: ${JSON.stringify(last)}`);
}
