/**
 * The worker's shutdown deadline as ops see it: SIGTERM while a send hangs (a relay that
 * accepts the connection and never answers) ends the worker within SHUTDOWN_GRACE_MS plus a
 * little, and the job it abandoned is delivered once, by a restarted worker, through BullMQ's
 * stalled-job recovery.
 */
import net from 'node:net';
import { startSystem, waitForEvent, waitForStatus, type System } from '../helpers/system';

jest.setTimeout(180_000);

let system: System;
let hanging: net.Server;
const sockets: net.Socket[] = [];

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => hanging?.close(resolve));
  await system?.stop();
});

test('SIGTERM with a send in flight: the worker exits by the deadline; the event is delivered once after restart', async () => {
  hanging = net.createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  const hangingUrl = `smtp://127.0.0.1:${(hanging.address() as net.AddressInfo).port}`;

  system = await startSystem({ workers: 0, env: { SHUTDOWN_GRACE_MS: '1000' } });
  await system.api('POST', '/v1/event-types', { key: 'T', label: 'T' });
  const template = await system.api('POST', '/v1/templates', {
    eventType: 'T',
    channel: 'email',
    name: 't',
    content: { subject: 'Hi', mjml: '<mjml><mj-body><mj-section><mj-column><mj-text>Hi</mj-text></mj-column></mj-section></mj-body></mjml>' },
  });
  await system.api('POST', `/v1/templates/${template.body.id}/publish`);

  const worker = await system.startWorker({ SMTP_URL: hangingUrl });
  const accepted = await system.api('POST', '/v1/events', { type: 'T', email: 'ann@example.com' }, system.ingestKey);
  expect(accepted.status).toBe(202);
  // The send is in flight: the relay holds the connection, the job is active.
  await waitForEvent(system, accepted.body.id, (e) => e.status === 'processing' && e.queue?.state === 'active', 'processing and active', 30_000);

  const started = Date.now();
  const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
  worker.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(Date.now() - started).toBeLessThan(1000 + 4000);

  // A restarted worker (with a relay that answers) recovers the stalled job and sends it once.
  await system.startWorker();
  const done = await waitForStatus(system, accepted.body.id, ['sent'], 120_000);
  expect(done.deliveries).toEqual([expect.objectContaining({ status: 'sent', attempts: 1 })]);
  expect(system.sink.messages).toHaveLength(1);
});
