/**
 * A redis-server of a fault test's own, on a free port with its append-only file fsynced on
 * every write in a temporary directory, so the test can SIGKILL it and start it again from
 * that file without touching the Redis every other test shares.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './system';

export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGKILL: no shutdown, no final save; only what the append-only file holds survives. */
  kill9(): Promise<void>;
  /** Starts it again on the same port and directory (it loads the append-only file). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mc-faults-redis-'));
  const port = await freePort();
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--appendonly', 'yes',
    '--appendfsync', 'always',
    '--save', '',
    '--maxmemory-policy', 'noeviction',
  ];
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    const deadline = Date.now() + 15_000;
    while (!(await portOpen(port))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not come up on port ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const kill = async (signal: NodeJS.Signals) => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill(signal);
    await exited;
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill9: () => kill('SIGKILL'),
    restart: launch,
    async close() {
      await kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
