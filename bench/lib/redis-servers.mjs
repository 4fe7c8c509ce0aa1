// Private Redis servers for a measurement that must see only its own load: one standalone
// server, or `count` masters joined into a Redis Cluster (redis-cli --cluster create, no
// replicas). Each on a free loopback port, in a temporary directory, with AOF everysec as in
// production; stop() ends them and removes the directory.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './system.mjs';
import { sleep } from './stats.mjs';

const require = createRequire(import.meta.url);
const { Redis } = require('ioredis');

async function waitUntil(probe, what, ms) {
  const deadline = Date.now() + ms;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function ask(port, ...command) {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // A probe of a server still starting is refused: connect() rejects with that (the caller
  // retries), and the same error emitted as an event would only be printed as unhandled.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await redis.call(...command);
  } finally {
    redis.disconnect();
  }
}

export async function startRedisServers({ count = 1, cluster = false }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mc-bench-redis-'));
  const ports = [];
  const children = [];
  const stop = async () => {
    await Promise.all(
      children.map(async (child) => {
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
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      ports.push(port);
      children.push(
        spawn(
          'redis-server',
          [
            '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec',
            '--maxmemory-policy', 'noeviction', '--dir', dir, '--appendfilename', `aof-${port}.aof`, '--appenddirname', `aof-${port}`,
            ...(cluster ? ['--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '5000'] : []),
          ],
          { stdio: 'ignore' },
        ),
      );
    }
    for (const port of ports) await waitUntil(async () => (await ask(port, 'PING')) === 'PONG', `redis-server on ${port}`, 10_000);
    if (cluster) {
      const created = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
      if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
      for (const port of ports) await waitUntil(async () => /cluster_state:ok/.test(await ask(port, 'CLUSTER', 'INFO')), `cluster_state:ok on ${port}`, 20_000);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { ports, seeds: ports.map((p) => `127.0.0.1:${p}`).join(','), ask: (port, ...command) => ask(port, ...command), stop };
}
