/**
 * The operator's workflow through the documented API, against the running services: design a
 * template, preview it, send a proof, publish, edit, republish, roll back, unpublish, pause
 * and resume; locales; ctx schemas; channel routing.
 */
import { startSystem, waitForStatus, type System } from '../helpers/system';

jest.setTimeout(120_000);

const mjml = (greeting: string) => `<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text>${greeting} {{ ctx.firstName }}</mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`;

let system: System;
const push = (body: Record<string, unknown>) => system.api('POST', '/v1/events', body, system.ingestKey);
const createTemplate = async (body: Record<string, unknown>) => {
  const response = await system.api('POST', '/v1/templates', body);
  expect(response.status).toBe(201);
  return response.body.id as string;
};
// A publish notice reaches the workers over Redis; give it a moment before pushing.
const settle = () => new Promise((r) => setTimeout(r, 300));

beforeAll(async () => {
  system = await startSystem();
  for (const key of ['WELCOME', 'RESET', 'LOCALIZED', 'SCHEMA', 'ROUTED']) {
    expect((await system.api('POST', '/v1/event-types', { key, label: key })).status).toBe(201);
  }
});
afterAll(async () => {
  await system?.stop();
});

test('a broken template is refused with the line of the fault, at preview and at publish', async () => {
  const id = await createTemplate({
    eventType: 'WELCOME',
    channel: 'email',
    name: 'broken',
    content: { subject: 'Hi', mjml: mjml('Hello').replace('<mj-text>', '<mj-txt>').replace('</mj-text>', '</mj-txt>') },
  });
  for (const action of ['preview', 'publish']) {
    const response = await system.api('POST', `/v1/templates/${id}/${action}`, {});
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toMatch(/problem\+json/);
    expect(response.body.errors[0]).toMatchObject({ path: 'content/mjml', line: 5 });
    expect(response.body.detail).toMatch(/mj-txt/);
  }
  const liquid = await createTemplate({ eventType: 'WELCOME', channel: 'email', name: 'bad liquid', content: { subject: 'Hi {{ ctx.x ', mjml: mjml('Hello') } });
  const refused = await system.api('POST', `/v1/templates/${liquid}/publish`);
  expect(refused.status).toBe(422);
  expect(refused.body.errors[0]).toMatchObject({ path: 'content/subject', line: 1 });
  const unknownFilter = await createTemplate({ eventType: 'WELCOME', channel: 'email', name: 'bad filter', content: { subject: '{{ ctx.x | shout }}', mjml: mjml('Hello') } });
  expect((await system.api('POST', `/v1/templates/${unknownFilter}/publish`)).status).toBe(422);
  const wrongShape = await system.api('POST', '/v1/templates', { eventType: 'WELCOME', channel: 'email', name: 'x', content: { mjml: mjml('x') } });
  expect(wrongShape.status).toBe(400);
  expect(JSON.stringify(wrongShape.body.errors)).toContain('subject');
});

test('preview renders the draft with escaped values and warns about missing variables', async () => {
  const id = await createTemplate({
    eventType: 'WELCOME',
    channel: 'email',
    name: 'welcome',
    content: { subject: 'Welcome {{ ctx.firstName }} {{ ctx.lastName }}', mjml: mjml('Hello') },
    testData: { email: 'seed@example.com', ctx: { firstName: 'Ann' } },
  });
  const fromTestData = await system.api('POST', `/v1/templates/${id}/preview`, {});
  expect(fromTestData.status).toBe(200);
  expect(fromTestData.body.subject).toBe('Welcome Ann');
  expect(fromTestData.body.warnings).toEqual(expect.arrayContaining([expect.objectContaining({ message: expect.stringMatching(/ctx\.lastName/) })]));

  const fromRequest = await system.api('POST', `/v1/templates/${id}/preview`, { ctx: { firstName: '<b>Eve</b>', lastName: 'L' } });
  expect(fromRequest.body.html).toContain('Hello &lt;b&gt;Eve&lt;/b&gt;');
  expect(fromRequest.body.text).toContain('Hello <b>Eve</b>');

  const sms = await createTemplate({ eventType: 'WELCOME', channel: 'sms', name: 'sms', content: { text: 'Hej {{ ctx.firstName }} 👋' } });
  const smsPreview = await system.api('POST', `/v1/templates/${sms}/preview`, { ctx: { firstName: 'Åsa' } });
  expect(smsPreview.body).toMatchObject({ text: 'Hej Åsa 👋', encoding: 'UCS-2', segments: 1 });

  const pushTemplate = await createTemplate({ eventType: 'WELCOME', channel: 'push', name: 'push', content: { title: 'Hi {{ ctx.firstName }}', body: 'x'.repeat(3990), url: 'https://example.com/' + 'p'.repeat(300) } });
  const pushPreview = await system.api('POST', `/v1/templates/${pushTemplate}/preview`, { ctx: { firstName: 'Bo' } });
  expect(pushPreview.body.title).toBe('Hi Bo');
  expect(pushPreview.body.payloadBytes).toBeGreaterThan(4096);
  expect(JSON.stringify(pushPreview.body.warnings)).toMatch(/4 ?KB|4096/);
});

test('a proof reaches the SMTP sink marked as a proof, and is not an event delivery', async () => {
  const id = await createTemplate({
    eventType: 'WELCOME',
    channel: 'email',
    name: 'proofed',
    content: { subject: 'Welcome {{ ctx.firstName }}', mjml: mjml('Hello') },
    testData: { ctx: { firstName: 'Seed' } },
    seedAddresses: ['seed1@example.com'],
  });
  const proof = await system.api('POST', `/v1/templates/${id}/test`, {});
  expect(proof.status).toBe(200);
  expect(proof.body.results).toEqual([expect.objectContaining({ to: 'seed1@example.com', status: 'sent' })]);
  const [mail] = await system.sink.waitForMessages(system.sink.messages.length, 5000).then(() =>
    system.sink.messages.filter((m) => m.envelope.rcptTo.includes('seed1@example.com')),
  );
  expect(mail!.parsed.subject).toBe('[PROOF] Welcome Seed');
  expect(mail!.parsed.headers.get('x-messagecenter-proof')).toBe(id);

  const explicit = await system.api('POST', `/v1/templates/${id}/test`, { to: ['seed2@example.com'], ctx: { firstName: 'Other' } });
  expect(explicit.body.results[0].status).toBe('sent');
  const proofs = await system.api('GET', `/v1/templates/${id}/proofs`);
  expect(proofs.body.items.map((p: { to: string[] }) => p.to)).toEqual([['seed2@example.com'], ['seed1@example.com']]);
  const events = await system.api('GET', '/v1/events?type=WELCOME', undefined, system.ingestKey);
  expect(events.body.items).toHaveLength(0);

  const none = await createTemplate({ eventType: 'WELCOME', channel: 'email', name: 'no seeds', content: { subject: 'x', mjml: mjml('x') } });
  expect((await system.api('POST', `/v1/templates/${none}/test`, {})).status).toBe(422);
});

test('publish, edit, republish, roll back, unpublish, pause and resume', async () => {
  const id = await createTemplate({ eventType: 'RESET', channel: 'email', name: 'reset', content: { subject: 'v1 {{ ctx.firstName }}', mjml: mjml('One') } });
  expect((await system.api('POST', `/v1/templates/${id}/publish`)).body.version).toBe(1);
  await settle();
  const sendAndGetSubject = async (to: string) => {
    const accepted = await push({ type: 'RESET', email: to, ctx: { firstName: 'Ann' } });
    const done = await waitForStatus(system, accepted.body.id, ['sent', 'routingFailed', 'deliveryFailed']);
    const mail = system.sink.messages.find((m) => m.envelope.rcptTo.includes(to));
    return { done, subject: mail?.parsed.subject };
  };
  expect((await sendAndGetSubject('r1@example.com')).subject).toBe('v1 Ann');

  await system.api('PATCH', `/v1/templates/${id}`, { content: { subject: 'v2 {{ ctx.firstName }}', mjml: mjml('Two') } });
  expect((await sendAndGetSubject('r2@example.com')).subject).toBe('v1 Ann');
  expect((await system.api('POST', `/v1/templates/${id}/publish`)).body.version).toBe(2);
  await settle();
  expect((await sendAndGetSubject('r3@example.com')).subject).toBe('v2 Ann');

  const versions = await system.api('GET', `/v1/templates/${id}/versions`);
  expect(versions.body.items.map((v: { version: number; published: boolean }) => [v.version, v.published])).toEqual([[1, false], [2, true]]);
  const rollback = await system.api('POST', `/v1/templates/${id}/versions/1/publish`);
  expect(rollback.status).toBe(201);
  await settle();
  const rolled = await sendAndGetSubject('r4@example.com');
  expect(rolled.subject).toBe('v1 Ann');
  expect(rolled.done.templateVersion).toBe(1);

  // Another template cannot take the published slot.
  const rival = await createTemplate({ eventType: 'RESET', channel: 'email', name: 'rival', content: { subject: 'x', mjml: mjml('x') } });
  expect((await system.api('POST', `/v1/templates/${rival}/publish`)).status).toBe(409);
  expect((await system.api('DELETE', `/v1/templates/${id}`)).status).toBe(409);

  expect((await system.api('POST', `/v1/templates/${id}/pause`)).body.state).toBe('paused');
  await settle();
  const held = await push({ type: 'RESET', email: 'r5@example.com', ctx: { firstName: 'Ann' } });
  const pending = await waitForStatus(system, held.body.id, ['pending']);
  await new Promise((r) => setTimeout(r, 1000));
  expect((await system.api('GET', `/v1/events/${held.body.id}`, undefined, system.ingestKey)).body.status).toBe('pending');
  expect(pending.status).toBe('pending');
  expect((await system.api('POST', `/v1/templates/${id}/resume`)).body.state).toBe('published');
  const resumed = await waitForStatus(system, held.body.id, ['sent'], 20_000);
  expect(resumed.status).toBe('sent');

  expect((await system.api('POST', `/v1/templates/${id}/unpublish`)).body.state).toBe('draft');
  await settle();
  const unrouted = await push({ type: 'RESET', email: 'r6@example.com' });
  expect((await waitForStatus(system, unrouted.body.id, ['routingFailed'])).reason).toMatch(/No published email template/);
  // Re-drive after publishing again.
  await system.api('POST', `/v1/templates/${id}/publish`);
  await settle();
  expect((await system.api('POST', `/v1/events/${unrouted.body.id}/retry`)).status).toBe(202);
  expect((await waitForStatus(system, unrouted.body.id, ['sent'])).templateVersion).toBe(3);
});

test("an event's locale picks the exact template, then the language, then the one without locale", async () => {
  const make = async (locale: string | undefined, greeting: string) => {
    const id = await createTemplate({
      eventType: 'LOCALIZED',
      channel: 'email',
      name: `l-${locale ?? 'any'}`,
      ...(locale ? { locale } : {}),
      content: { subject: greeting, mjml: mjml(greeting) },
    });
    expect((await system.api('POST', `/v1/templates/${id}/publish`)).status).toBe(201);
  };
  await make('sv-SE', 'Hej Sverige');
  await make('sv', 'Hej');
  await make(undefined, 'Hello');
  await settle();
  const cases: [string | undefined, string][] = [
    ['sv-SE', 'Hej Sverige'],
    ['sv_se', 'Hej Sverige'],
    ['sv-FI', 'Hej'],
    ['sv', 'Hej'],
    ['en-GB', 'Hello'],
    [undefined, 'Hello'],
  ];
  for (const [i, [locale, subject]] of cases.entries()) {
    const to = `loc${i}@example.com`;
    const accepted = await push({ type: 'LOCALIZED', email: to, ...(locale ? { locale } : {}) });
    if (locale === 'sv_se') {
      expect(accepted.status).toBe(202);
    }
    await waitForStatus(system, accepted.body.id, ['sent']);
    expect(system.sink.messages.find((m) => m.envelope.rcptTo.includes(to))!.parsed.subject).toBe(subject);
  }
});

test('an event type ctxSchema is enforced at ingest, naming the paths', async () => {
  const schema = {
    type: 'object',
    required: ['orderNumber', 'items'],
    properties: {
      orderNumber: { type: 'string' },
      items: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
    },
  };
  expect((await system.api('PATCH', '/v1/event-types/SCHEMA', { ctxSchema: schema })).status).toBe(200);
  const bad = await push({ type: 'SCHEMA', email: 'a@example.com', ctx: { items: [{ price: 1 }] } });
  expect(bad.status).toBe(422);
  const paths = bad.body.errors.map((e: { path: string }) => e.path);
  expect(paths).toEqual(expect.arrayContaining(['ctx.orderNumber', 'ctx.items.0.name']));
  const good = await push({ type: 'SCHEMA', email: 'a@example.com', ctx: { orderNumber: 'A', items: [{ name: 'Cap' }] } });
  expect(good.status).toBe(202);
  const template = await createTemplate({ eventType: 'SCHEMA', channel: 'email', name: 'typo', content: { subject: 'Order {{ ctx.orderNumbr }}', mjml: mjml('Hi') } });
  const preview = await system.api('POST', `/v1/templates/${template}/preview`, { ctx: { orderNumber: 'A', items: [] } });
  expect(preview.body.warnings).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'subject', message: expect.stringMatching(/ctx\.orderNumbr is not defined/) })]));
  const published = await system.api('POST', `/v1/templates/${template}/publish`);
  expect(published.status).toBe(201);
  expect(JSON.stringify(published.body.warnings)).toMatch(/orderNumbr/);
  const invalidSchema = await system.api('PATCH', '/v1/event-types/SCHEMA', { ctxSchema: { type: 'no-such-type' } });
  expect(invalidSchema.status).toBe(400);
  const disabled = await system.api('PATCH', '/v1/event-types/SCHEMA', { enabled: false });
  expect(disabled.body.enabled).toBe(false);
  expect((await push({ type: 'SCHEMA', email: 'a@example.com' })).status).toBe(422);
});

test('wishedChannel picks the channel (names or Adobe codes); the address must be there', async () => {
  const id = await createTemplate({ eventType: 'ROUTED', channel: 'sms', name: 'sms', content: { text: 'Code {{ ctx.code }}' } });
  await system.api('POST', `/v1/templates/${id}/publish`);
  await settle();
  const noPhone = await push({ type: 'ROUTED', email: 'x@example.com', wishedChannel: 'sms' });
  expect((await waitForStatus(system, noPhone.body.id, ['targetingFailed'])).reason).toMatch(/no mobilePhone/);
  const adobeEmail = await push({ type: 'ROUTED', email: 'x@example.com', wishedChannel: 0 });
  expect((await waitForStatus(system, adobeEmail.body.id, ['routingFailed'])).channel).toBe('email');
  const bogus = await push({ type: 'ROUTED', email: 'x@example.com', wishedChannel: 'fax' });
  expect(bogus.status).toBe(400);
});
