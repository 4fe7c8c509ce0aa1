/**
 * The foundation end to end: both services as processes, real Postgres and Redis, an SMTP
 * sink. Create an event type and an MJML template with a loop, publish it, push one event and
 * a batch of 200, and read what the sink received; then every status the email path can reach.
 */
import { startSystem, waitForStatus, type System } from '../helpers/system';

jest.setTimeout(120_000);

const MJML = `<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text>Hello {{ ctx.firstName }}, order {{ ctx.orderNumber }}:</mj-text>
        <mj-text>
          <ul>{% for item in ctx.items %}<li>{{ item.name }} x{{ item.qty }}</li>{% endfor %}</ul>
        </mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`;

let system: System;
let templateId: string;

beforeAll(async () => {
  system = await startSystem({ env: { DELIVERY_ATTEMPTS: '3' } });
  expect((await system.api('POST', '/v1/event-types', { key: 'ORDER_CONFIRMATION', label: 'Order confirmation' })).status).toBe(201);
  const created = await system.api('POST', '/v1/templates', {
    eventType: 'ORDER_CONFIRMATION',
    channel: 'email',
    name: 'Order confirmation',
    content: { subject: 'Order {{ ctx.orderNumber }} for {{ ctx.firstName }}', mjml: MJML },
  });
  expect(created.status).toBe(201);
  templateId = created.body.id;
});

afterAll(async () => {
  await system?.stop();
});

const event = (overrides: Record<string, unknown> = {}) => ({
  type: 'ORDER_CONFIRMATION',
  email: 'ann@example.com',
  ctx: { firstName: 'Ann', orderNumber: 'A-1', items: [{ name: 'Cap', qty: 1 }, { name: 'Mug', qty: 2 }] },
  ...overrides,
});

const push = (body: unknown, headers: Record<string, string> = {}) =>
  system.api('POST', '/v1/events', body, system.ingestKey, headers);

test('an event pushed before any publish ends routingFailed with the reason', async () => {
  const accepted = await push(event());
  expect(accepted.status).toBe(202);
  const done = await waitForStatus(system, accepted.body.id, ['routingFailed']);
  expect(done.reason).toMatch(/No published email template for event type ORDER_CONFIRMATION/);
});

test('publish, push one event and a batch of 200: every email arrives personalized and escaped', async () => {
  const published = await system.api('POST', `/v1/templates/${templateId}/publish`);
  expect(published.status).toBe(201);
  expect(published.body.version).toBe(1);

  const one = await push(event({ email: 'first@example.com', ctx: { firstName: '<script>alert(1)</script>', orderNumber: 'A-2', items: [{ name: 'Cap & Hat', qty: 1 }] } }));
  expect(one.status).toBe(202);
  expect(one.body).toEqual({ id: expect.stringMatching(/^\d+$/), status: 'pending' });
  const sent = await waitForStatus(system, one.body.id, ['sent', 'deliveryFailed']);
  expect(sent.status).toBe('sent');
  expect(sent.templateVersion).toBe(1);
  expect(sent.deliveries).toEqual([
    expect.objectContaining({ channel: 'email', provider: expect.any(String), status: 'sent', attempts: 1, providerMessageId: expect.any(String) }),
  ]);

  const mail = system.sink.messages.find((m) => m.envelope.rcptTo.includes('first@example.com'))!;
  expect(mail.parsed.subject).toBe('Order A-2 for <script>alert(1)</script>');
  expect(mail.parsed.html).toContain('Hello &lt;script&gt;alert(1)&lt;/script&gt;');
  expect(mail.parsed.html).not.toContain('<script>alert(1)</script>');
  expect(mail.parsed.html).toContain('<li>Cap &amp; Hat x1</li>');
  expect(mail.parsed.text).toContain('Hello <script>alert(1)</script>, order A-2');
  expect(mail.parsed.text).toContain('Cap & Hat x1');

  const before = system.sink.messages.length;
  const batch = Array.from({ length: 200 }, (_, i) =>
    event({ email: `batch${i}@example.com`, externalId: `b-${i}`, ctx: { firstName: `N${i}`, orderNumber: `B-${i}`, items: [{ name: `Item ${i}`, qty: i }] } }),
  );
  const response = await system.api('POST', '/v1/events/batch', { events: batch }, system.ingestKey);
  expect(response.status).toBe(202);
  expect(response.body.accepted).toBe(200);
  expect(response.body.rejected).toBe(0);
  await system.sink.waitForMessages(before + 200, 60_000);
  const received = system.sink.messages.filter((m) => m.envelope.rcptTo[0]?.startsWith('batch'));
  expect(received).toHaveLength(200);
  for (const m of received) {
    const i = Number(/batch(\d+)@/.exec(m.envelope.rcptTo[0]!)![1]);
    expect(m.parsed.subject).toBe(`Order B-${i} for N${i}`);
    expect(m.parsed.html).toContain(`<li>Item ${i} x${i}</li>`);
    expect(m.parsed.text).toContain(`Item ${i} x${i}`);
  }
  const last = response.body.results[199];
  expect((await waitForStatus(system, last.id, ['sent'])).status).toBe('sent');
});

test('events use the version published when they are processed: draft edits change nothing until publish', async () => {
  const v1Event = await push(event({ email: 'v1@example.com' }));
  await waitForStatus(system, v1Event.body.id, ['sent']);

  const edited = await system.api('PATCH', `/v1/templates/${templateId}`, {
    content: { subject: 'V2 {{ ctx.orderNumber }}', mjml: MJML.replace('Hello', 'Welcome back') },
  });
  expect(edited.status).toBe(200);
  const stillV1 = await push(event({ email: 'still-v1@example.com' }));
  expect((await waitForStatus(system, stillV1.body.id, ['sent'])).templateVersion).toBe(1);
  expect(system.sink.messages.find((m) => m.envelope.rcptTo.includes('still-v1@example.com'))!.parsed.subject).toBe('Order A-1 for Ann');

  const v2 = await system.api('POST', `/v1/templates/${templateId}/publish`);
  expect(v2.body.version).toBe(2);
  // The publish notice reaches the worker over Redis; allow it a moment.
  await new Promise((r) => setTimeout(r, 300));
  const v2Event = await push(event({ email: 'v2@example.com' }));
  const done = await waitForStatus(system, v2Event.body.id, ['sent']);
  expect(done.templateVersion).toBe(2);
  const mail = system.sink.messages.find((m) => m.envelope.rcptTo.includes('v2@example.com'))!;
  expect(mail.parsed.subject).toBe('V2 A-1');
  expect(mail.parsed.html).toContain('Welcome back Ann');
});

test('no email address ends targetingFailed; an invalid one is refused at the REST door', async () => {
  const missing = await push(event({ email: undefined }));
  expect((await waitForStatus(system, missing.body.id, ['targetingFailed'])).reason).toBe('The event has no email address');
  // REST checks addresses at the door (SOAP accepts them as Adobe does; the worker ends those targetingFailed).
  const invalid = await push(event({ email: 'not-an-address' }));
  expect(invalid.status).toBe(400);
  expect(invalid.body.errors).toEqual([{ path: 'body/email', message: expect.stringMatching(/not an email address/) }]);
});

test('an SMTP 5xx ends deliveryFailed at once, without retries', async () => {
  const refused = await push(event({ email: 'reject-data-554@example.com' }));
  const done = await waitForStatus(system, refused.body.id, ['deliveryFailed']);
  expect(done.reason).toMatch(/554/);
  expect(done.deliveries[0]).toMatchObject({ status: 'failed', attempts: 1 });
});

test('SMTP 4xx is retried with backoff, then ends deliveryFailed with the last error', async () => {
  const busy = await push(event({ email: 'reject-451@example.com' }));
  const done = await waitForStatus(system, busy.body.id, ['deliveryFailed'], 30_000);
  expect(done.reason).toMatch(/Gave up after 3 attempt\(s\).*451/);
  expect(done.deliveries[0]).toMatchObject({ status: 'failed', attempts: 3 });
});

test('a repeated Idempotency-Key returns the first id and sends once', async () => {
  const key = `order-${Date.now()}`;
  const first = await push(event({ email: 'idem@example.com' }), { 'idempotency-key': key });
  const again = await push(event({ email: 'idem@example.com' }), { 'idempotency-key': key });
  expect(again.status).toBe(202);
  expect(again.body.id).toBe(first.body.id);
  await waitForStatus(system, first.body.id, ['sent']);
  await new Promise((r) => setTimeout(r, 500));
  expect(system.sink.messages.filter((m) => m.envelope.rcptTo.includes('idem@example.com'))).toHaveLength(1);
});

test('bad input gets a problem naming what was wrong, and nothing is stored', async () => {
  const noType = await push({ email: 'x@example.com' });
  expect(noType.status).toBe(400);
  expect(noType.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect(noType.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'body/type' })]));

  const unknownField = await push(event({ colour: 'red' }));
  expect(unknownField.status).toBe(400);
  expect(JSON.stringify(unknownField.body.errors)).toContain('colour');

  const unknownType = await push(event({ type: 'NOPE' }));
  expect(unknownType.status).toBe(422);
  expect(unknownType.body.detail).toMatch(/NOPE/);

  const badJson = await fetch(`${system.baseUrl}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${system.ingestKey}`, 'content-type': 'application/json' },
    body: '{"type": ',
  });
  expect(badJson.status).toBe(400);
  expect(badJson.headers.get('content-type')).toMatch(/problem\+json/);
  expect(await badJson.text()).not.toMatch(/at .*\.js:\d+/);

  const text = await fetch(`${system.baseUrl}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${system.ingestKey}`, 'content-type': 'text/plain' },
    body: 'hello',
  });
  expect(text.status).toBe(415);


  const batch = await system.api(
    'POST',
    '/v1/events/batch',
    { events: [event({ email: 'ok-in-batch@example.com' }), { type: 'ORDER_CONFIRMATION', email: 42 }, event({ type: 'NOPE' })] },
    system.ingestKey,
  );
  expect(batch.status).toBe(202);
  expect(batch.body.accepted).toBe(1);
  expect(batch.body.rejected).toBe(2);
  expect(batch.body.results[1].error.status).toBe(400);
  expect(batch.body.results[1].error.errors[0].path).toBe('/events/1/email');
  expect(batch.body.results[2].error.status).toBe(422);
  await waitForStatus(system, batch.body.results[0].id, ['sent']);
});

test('keys and scopes are enforced on every route', async () => {
  expect((await system.api('POST', '/v1/events', event(), 'wrong-key-wrong-key')).status).toBe(401);
  expect((await fetch(`${system.baseUrl}/v1/events/1`)).status).toBe(401);
  expect((await system.api('GET', '/v1/event-types', undefined, system.ingestKey)).status).toBe(403);
  expect((await system.api('GET', '/admin/queues', undefined, system.ingestKey)).status).toBe(403);
  expect((await system.api('GET', '/metrics', undefined, system.ingestKey)).status).toBe(403);
  expect((await system.api('GET', '/metrics')).status).toBe(200);
  expect((await fetch(`${system.baseUrl}/healthz`)).status).toBe(200);
  expect((await fetch(`${system.baseUrl}/docs/json`)).status).toBe(200);

  const created = await system.api('POST', '/v1/api-keys', { name: 'shop', scopes: ['events:write'] });
  expect(created.status).toBe(201);
  expect((await push(event({ email: 'newkey@example.com' }))).status).toBe(202);
  expect((await system.api('POST', '/v1/events', event({ email: 'newkey@example.com' }), created.body.key)).status).toBe(202);
  expect((await system.api('GET', '/v1/templates', undefined, created.body.key)).status).toBe(403);
  const listed = await system.api('GET', '/v1/api-keys');
  const stored = listed.body.items.find((k: { id: number }) => k.id === created.body.id);
  expect(stored).toMatchObject({ name: 'shop', scopes: ['events:write'], lastUsedAt: expect.any(String) });
  expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
  expect((await system.api('DELETE', `/v1/api-keys/${created.body.id}`)).status).toBe(204);
  expect((await system.api('GET', '/v1/api-keys')).body.items.find((k: { id: number }) => k.id === created.body.id).revokedAt).toEqual(expect.any(String));
  expect((await system.api('POST', '/v1/events', event({ email: 'newkey@example.com' }), created.body.key)).status).toBe(401);
});

test('unknown event ids are 404', async () => {
  expect((await system.api('GET', '/v1/events/123456789', undefined, system.ingestKey)).status).toBe(404);
  expect((await system.api('GET', '/v1/events/abc', undefined, system.ingestKey)).status).toBe(404);
});

test('an event past its expiration ends tooOld; a scheduled one waits pending, then is sent', async () => {
  const expired = await push(event({ email: 'late@example.com', expiration: new Date(Date.now() - 1000).toISOString() }));
  expect((await waitForStatus(system, expired.body.id, ['tooOld'])).reason).toMatch(/Expired at/);

  const at = new Date(Date.now() + 2500).toISOString();
  const scheduled = await push(event({ email: 'scheduled@example.com', scheduled: at }));
  expect(scheduled.status).toBe(202);
  const waiting = await system.api('GET', `/v1/events/${scheduled.body.id}`, undefined, system.ingestKey);
  expect(waiting.body).toMatchObject({ status: 'pending', scheduled: at });
  const sent = await waitForStatus(system, scheduled.body.id, ['sent'], 15_000);
  expect(new Date(sent.deliveries[0].sentAt).getTime()).toBeGreaterThanOrEqual(Date.parse(at));
});
