/**
 * The worker's own small HTTP listener for Prometheus (`/metrics`) and liveness (`/healthz`),
 * on WORKER_METRICS_PORT. It has no API keys: bind it (HOST) to an address only the
 * monitoring network reaches.
 */
import http from 'node:http';
import type { Registry } from 'prom-client';

export function serveWorkerMetrics(registry: Registry, port: number, host: string): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/metrics') {
      registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
    } else if (request.method === 'GET' && path === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else {
      response.writeHead(404, { 'content-type': 'application/problem+json' }).end(
        JSON.stringify({ type: 'urn:message-center:problem:not-found', title: 'Not found', status: 404, detail: `No route ${path}` }),
      );
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
