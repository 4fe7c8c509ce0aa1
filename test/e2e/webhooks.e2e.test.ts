/**
 * Status webhooks end to end: both services as processes, a local HTTP receiver that verifies
 * every request with the `standardwebhooks` library, WEBHOOK_RETRY_SCHEDULE=1s,1s,1s and the
 * receiver's address exempted by OUTBOUND_ALLOW_PRIVATE (webhooks are https-only otherwise).
 * Events of a type with no published template end routingFailed: a status change with no
 * mail involved, which is all a webhook needs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { REDIS_URL, startSystem, waitForStatus, type System } from '../helpers/system';

jest.setTimeout(120_000);

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

let system: System;
let receiver: http.Server;
let receiverUrl: string;
const received: Received[] = [];
/** Answers per path, in order; the last one repeats. */
const answers: Record<string, number[]> = {};

beforeAll(async () => {
  receiver = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      received.push({ path, headers: request.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') });
      const script = answers[path] ?? [204];
      const status = script.length > 1 ? script.shift()! : script[0]!;
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  system = await startSystem({ env: { OUTBOUND_ALLOW_PRIVATE: '127.0.0.1', WEBHOOK_RETRY_SCHEDULE: '1s,1s,1s' } });
  expect((await system.api('POST', '/v1/event-types', { key: 'ORDER_CONFIRMATION', label: 'Order confirmation' })).status).toBe(201);
});

afterAll(async () => {
  await system?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${system.output.join('').slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const pushEvent = async () => {
  const accepted = await system.api('POST', '/v1/events', { type: 'ORDER_CONFIRMATION', email: 'ann@example.com', externalId: 'order-1' }, system.ingestKey);
  expect(accepted.status).toBe(202);
  await waitForStatus(system, accepted.body.id, ['routingFailed']);
  return accepted.body.id as string;
};

const deliveries = async (endpointId: number) => (await system.api('GET', `/v1/webhook-endpoints/${endpointId}/deliveries`)).body.items as any[];

async function jobState(jobId: string): Promise<string> {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('webhooks', { connection, prefix: system.queuePrefix });
  try {
    return (await (await queue.getJob(jobId))?.getState()) ?? 'missing';
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

let first: { id: number; secret: string };
let firstDeliveryId: string;

test('a receiver answering 500, 500, 204 gets the same signed message three times, then no more', async () => {
  answers['/a'] = [500, 500, 204];
  const created = await system.api('POST', '/v1/webhook-endpoints', {
    url: `${receiverUrl}/a`,
    events: ['event.routingFailed'],
    description: 'order system',
  });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ url: `${receiverUrl}/a`, events: ['event.routingFailed'], enabled: true, secret: expect.stringMatching(/^whsec_/) });
  first = { id: created.body.id, secret: created.body.secret };
  expect((await system.api('GET', `/v1/webhook-endpoints/${first.id}`)).body.secret).toBeUndefined();

  const eventId = await pushEvent();
  const [delivery] = await until('the delivery to end', async () => {
    const items = await deliveries(first.id);
    return items.length === 1 && items[0].status !== 'pending' ? items : undefined;
  });
  expect(delivery).toMatchObject({ status: 'delivered', attempts: 3, responseCode: 204, type: 'event.routingFailed' });
  firstDeliveryId = delivery.id;
  expect(await jobState(`wh-${delivery.id}`)).toBe('completed');

  const atA = received.filter((r) => r.path === '/a');
  expect(atA).toHaveLength(3);
  expect(new Set(atA.map((r) => r.headers['webhook-id']))).toEqual(new Set([delivery.webhookId]));
  const verifier = new Webhook(first.secret);
  for (const request of atA) {
    const payload = verifier.verify(request.body, request.headers) as any;
    expect(payload).toMatchObject({
      type: 'event.routingFailed',
      timestamp: expect.any(String),
      data: { id: eventId, eventType: 'ORDER_CONFIRMATION', externalId: 'order-1', status: 'routingFailed', channel: 'email', reason: expect.any(String), time: expect.any(String) },
    });
  }
  expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(atA[0]!.body, atA[0]!.headers)).toThrow();
});

test('replay sends the delivered message again, with the same webhook-id', async () => {
  const before = received.filter((r) => r.path === '/a').length;
  const replayed = await system.api('POST', `/v1/webhook-endpoints/${first.id}/deliveries/${firstDeliveryId}/replay`);
  expect(replayed.status).toBe(202);
  const again = await until('the replay to arrive', async () => {
    const atA = received.filter((r) => r.path === '/a');
    return atA.length > before ? atA[atA.length - 1] : undefined;
  });
  expect(again.headers['webhook-id']).toBe(`msg_${firstDeliveryId}`);
  expect(() => new Webhook(first.secret).verify(again.body, again.headers)).not.toThrow();
  await until('the replay to be recorded', async () => {
    const item = (await deliveries(first.id)).find((d) => d.id === firstDeliveryId);
    return item?.status === 'delivered' && item.replays === 1 ? item : undefined;
  });
});

test('a rotated secret: both the new and the old secret verify during the overlap', async () => {
  const rotated = await system.api('POST', `/v1/webhook-endpoints/${first.id}/rotate-secret`);
  expect(rotated.status).toBe(200);
  expect(rotated.body.secret).toMatch(/^whsec_/);
  expect(rotated.body.secret).not.toBe(first.secret);
  const before = received.length;
  const test = await system.api('POST', `/v1/webhook-endpoints/${first.id}/test`);
  expect(test.status).toBe(202);
  const arrived = await until('the test message', async () => received.slice(before).find((r) => r.path === '/a'));
  expect(new Webhook(rotated.body.secret).verify(arrived.body, arrived.headers)).toMatchObject({ type: 'webhook.test' });
  expect(() => new Webhook(first.secret).verify(arrived.body, arrived.headers)).not.toThrow();
});

test('a 410 disables the endpoint', async () => {
  expect((await system.api('POST', `/v1/webhook-endpoints/${first.id}/disable`)).body.enabled).toBe(false);
  answers['/gone'] = [410];
  const created = await system.api('POST', '/v1/webhook-endpoints', { url: `${receiverUrl}/gone` });
  expect(created.status).toBe(201);
  await pushEvent();
  const disabled = await until('the endpoint to be disabled', async () => {
    const endpoint = (await system.api('GET', `/v1/webhook-endpoints/${created.body.id}`)).body;
    return endpoint.enabled === false ? endpoint : undefined;
  });
  expect(disabled.disabledReason).toMatch(/410/);
  const [delivery] = await deliveries(created.body.id);
  expect(delivery).toMatchObject({ status: 'failed', attempts: 1, responseCode: 410 });
  expect(received.filter((r) => r.path === '/gone')).toHaveLength(1);
  // The disabled first endpoint got nothing of this event.
  expect(await deliveries(first.id)).toHaveLength(2);
});

test.each([
  ['https://127.0.0.2/hook', /127\.0\.0\.2/],
  ['http://169.254.169.254/latest/meta-data', /http is not allowed|169\.254/],
  ['https://169.254.169.254/latest/meta-data', /169\.254\.169\.254/],
  ['http://hooks.example.com/hook', /must be https/],
])('a URL the outbound policy refuses gets 422 at create: %s', async (url, detail) => {
  const refused = await system.api('POST', '/v1/webhook-endpoints', { url });
  expect(refused.status).toBe(422);
  expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect(refused.body.detail).toMatch(detail);
  expect(refused.body.errors).toEqual([expect.objectContaining({ path: '/url' })]);
});
