/**
 * Graceful shutdown as ops see it: SIGTERM to the ingest service ends it promptly even while
 * clients hold idle keep-alive connections, and what was accepted before is still delivered.
 */
import http from 'node:http';
import { startSystem, type System } from '../helpers/system';

jest.setTimeout(60_000);

let system: System;
afterAll(async () => {
  await system?.stop();
});

test('SIGTERM with idle keep-alive connections open: the ingest exits within seconds', async () => {
  system = await startSystem();
  await system.api('POST', '/v1/event-types', { key: 'T', label: 'T' });
  const template = await system.api('POST', '/v1/templates', {
    eventType: 'T',
    channel: 'email',
    name: 't',
    content: { subject: 'Bye', mjml: '<mjml><mj-body><mj-section><mj-column><mj-text>Bye</mj-text></mj-column></mj-section></mj-body></mjml>' },
  });
  await system.api('POST', `/v1/templates/${template.body.id}/publish`);

  // A client that keeps its connections open after its requests, as HTTP clients do.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const accepted = await Promise.all(
    Array.from({ length: 4 }, (_, i) =>
      new Promise<string>((resolve, reject) => {
        const body = JSON.stringify({ type: 'T', email: `bye${i}@example.com` });
        const request = http.request(`${system.baseUrl}/v1/events`, {
          method: 'POST',
          agent,
          headers: { authorization: `Bearer ${system.ingestKey}`, 'content-type': 'application/json' },
        });
        request.on('response', (response) => {
          let text = '';
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () => resolve(JSON.parse(text).id));
        });
        request.on('error', reject);
        request.end(body);
      }),
    ),
  );

  // A request in flight when the signal arrives: its connection only turns idle afterwards.
  const events = Array.from({ length: 1000 }, (_, i) => ({ type: 'T', email: `late${i}@example.com` }));
  const inFlight = new Promise<number>((resolve, reject) => {
    const request = http.request(`${system.baseUrl}/v1/events/batch`, {
      method: 'POST',
      agent,
      headers: { authorization: `Bearer ${system.ingestKey}`, 'content-type': 'application/json' },
    });
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end(JSON.stringify({ events }));
  });
  await new Promise((r) => setTimeout(r, 20));

  const started = Date.now();
  const exited = new Promise<number | null>((resolve) => system.ingest.once('exit', (code) => resolve(code)));
  system.ingest.kill('SIGTERM');
  expect([202, 503]).toContain(await inFlight);
  expect(await exited).toBe(0);
  expect(Date.now() - started).toBeLessThan(5000);
  agent.destroy();

  // The worker still delivers what the ingest accepted (read from Postgres directly: the API is gone).
  for (const id of accepted) {
    const deadline = Date.now() + 15_000;
    let status: string | undefined;
    while (Date.now() < deadline) {
      const row = await system.db.prisma.event.findUnique({ where: { id: BigInt(id) } });
      status = row?.status;
      if (status === 'sent') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('sent');
  }
});
