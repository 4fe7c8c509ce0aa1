/**
 * The webhook POST against a real local HTTP server: only 2xx is success, redirects are not
 * followed, Retry-After is read, a silent receiver costs at most the time limit, and the
 * outbound policy refuses what it refuses before any connection.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhookPoster } from './webhook-sender';

let server: http.Server;
let base: string;
const hits: { url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      hits.push({ url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString() });
      if (request.url === '/ok') return response.writeHead(204).end();
      if (request.url === '/redirect') return response.writeHead(302, { location: '/ok' }).end();
      if (request.url === '/busy') return response.writeHead(503, { 'retry-after': '120' }).end('later');
      if (request.url === '/silent') return; // never answers
      response.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const exempt = createWebhookPoster({ policy: { allowPrivate: ['127.0.0.1'] }, timeoutMs: 300 });

test('a 2xx is success; the body and headers arrive as given', async () => {
  expect(await exempt(`${base}/ok`, '{"a":1}', { 'webhook-id': 'msg_1' })).toEqual({ status: 204 });
  const hit = hits.find((h) => h.url === '/ok')!;
  expect(hit).toMatchObject({ body: '{"a":1}', headers: { 'webhook-id': 'msg_1', 'content-type': 'application/json' } });
});

test('a redirect is a failure and is not followed', async () => {
  const before = hits.filter((h) => h.url === '/ok').length;
  expect(await exempt(`${base}/redirect`, '{}', {})).toEqual({ status: 302, error: 'HTTP 302 (redirects are not followed)' });
  expect(hits.filter((h) => h.url === '/ok')).toHaveLength(before);
});

test('Retry-After is read from a failure', async () => {
  expect(await exempt(`${base}/busy`, '{}', {})).toEqual({ status: 503, retryAfterMs: 120_000, error: 'HTTP 503' });
});

test('a receiver that never answers costs the time limit, then fails', async () => {
  const started = Date.now();
  const result = await exempt(`${base}/silent`, '{}', {});
  expect(result.status).toBeUndefined();
  expect(result.error).toMatch(/no answer within 300 ms/);
  expect(Date.now() - started).toBeLessThan(5000);
});

test('without the exemption, the loopback receiver is refused before connecting', async () => {
  const strict = createWebhookPoster({ policy: { allowPrivate: [] }, timeoutMs: 300 });
  const before = hits.length;
  expect(await strict(`${base}/ok`, '{}', {})).toMatchObject({ refused: true, error: expect.stringMatching(/^Refused by the outbound policy/) });
  expect(await strict(`https://127.0.0.1:${new URL(base).port}/ok`, '{}', {})).toMatchObject({ refused: true });
  expect(hits).toHaveLength(before);
});
