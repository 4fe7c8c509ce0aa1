import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { serveWorkerMetrics } from './metrics-server';

test('serves the registry at /metrics, liveness at /healthz, 404 elsewhere', async () => {
  const registry = new Registry();
  new Counter({ name: 'mc_test_total', help: 'test', registers: [registry] }).inc(3);
  const server = await serveWorkerMetrics(registry, 0, '127.0.0.1');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('mc_test_total 3');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  } finally {
    server.close();
  }
});
