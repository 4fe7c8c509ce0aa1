/**
 * A real Redis Cluster of the test's own: `masters` redis-server processes with cluster mode on,
 * on free loopback ports, in a temporary directory, without persistence, joined by
 * `redis-cli --cluster create` (no replicas). `stop()` ends the processes and removes the
 * directory. Needs redis-server and redis-cli on the PATH (Redis 7).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './system';

export interface RedisClusterHandle {
  /** `host:port` seeds for REDIS_CLUSTER_NODES. */
  seeds: string;
  ports: number[];
  /** What the servers printed, for a failure message. */
  output: string[];
  stop(): Promise<void>;
}

async function waitUntil(probe: () => Promise<boolean>, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startRedisCluster(masters = 3): Promise<RedisClusterHandle> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mc-redis-cluster-'));
  const output: string[] = [];
  const processes: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(
      processes.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      ports.push(port);
      const child = spawn(
        'redis-server',
        [
          '--port', String(port),
          '--bind', '127.0.0.1',
          '--cluster-enabled', 'yes',
          '--cluster-config-file', path.join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout', '5000',
          '--dir', dir,
          '--save', '',
          '--appendonly', 'no',
          '--maxmemory-policy', 'noeviction',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout!.on('data', (chunk) => output.push(String(chunk)));
      child.stderr!.on('data', (chunk) => output.push(String(chunk)));
      processes.push(child);
    }
    for (const port of ports) {
      await waitUntil(async () => {
        const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } finally {
          probe.disconnect();
        }
      }, `redis-server on ${port}`, 10_000);
    }
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    for (const port of ports) {
      await waitUntil(async () => {
        const node = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
        try {
          return /cluster_state:ok/.test(await node.cluster('INFO'));
        } finally {
          node.disconnect();
        }
      }, `cluster_state:ok on ${port}`, 20_000);
    }
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output.join('')}`);
  }
  return { seeds: ports.map((p) => `127.0.0.1:${p}`).join(','), ports, output, stop };
}
