/**
 * The review's two mail findings end to end, through the running services and the SMTP sink:
 * event data cannot make itself the sender through a rendered `from`, and a relay that refuses
 * the recipient only at the end of DATA (550 5.1.1) gets the address suppressed.
 */
import { startSystem, waitForStatus, type System } from '../helpers/system';

jest.setTimeout(90_000);

let system: System;

beforeAll(async () => {
  system = await startSystem();
  expect((await system.api('POST', '/v1/event-types', { key: 'SHOP_NEWS', label: 'Shop news' })).status).toBe(201);
  const created = await system.api('POST', '/v1/templates', {
    eventType: 'SHOP_NEWS',
    channel: 'email',
    name: 'shop-news',
    content: {
      subject: 'News from {{ ctx.shop }}',
      from: '{{ ctx.shop }} <no-reply@shop.example>',
      mjml: '<mjml><mj-body><mj-section><mj-column><mj-text>Hello</mj-text></mj-column></mj-section></mj-body></mjml>',
    },
    testData: { ctx: { shop: 'Shop' } },
  });
  expect(created.status).toBe(201);
  expect((await system.api('POST', `/v1/templates/${created.body.id}/publish`)).status).toBe(201);
});

afterAll(async () => {
  await system?.stop();
});

const push = async (email: string, shop: string) => {
  const accepted = await system.api('POST', '/v1/events', { type: 'SHOP_NEWS', email, ctx: { shop } }, system.ingestKey);
  expect(accepted.status).toBe(202);
  return accepted.body.id as string;
};

test('a from that the data turns into two addresses fails permanently; nothing reaches the relay, nothing is suppressed', async () => {
  const id = await push('ada@example.com', 'attacker@evil.example, Shop');
  const done = await waitForStatus(system, id, ['sent', 'deliveryFailed']);
  expect(done.status).toBe('deliveryFailed');
  expect(done.reason).toMatch(/from must be exactly one mailbox: "attacker@evil\.example, Shop <no-reply@shop\.example>" names more than one address/);
  expect(done.deliveries).toEqual([expect.objectContaining({ channel: 'email', status: 'failed', attempts: 1 })]);
  expect(system.sink.messages.filter((m) => m.envelope.rcptTo.includes('ada@example.com'))).toEqual([]);
  expect((await system.api('GET', '/v1/suppressions?channel=email&address=ada@example.com')).body.items).toEqual([]);

  // The same template with ordinary data goes out, the sender being the template's address.
  const fine = await push('ada@example.com', 'Shop');
  expect((await waitForStatus(system, fine, ['sent', 'deliveryFailed'])).status).toBe('sent');
  const mail = system.sink.messages.find((m) => m.envelope.rcptTo.includes('ada@example.com'))!;
  expect(mail.envelope.mailFrom).toBe('no-reply@shop.example');
  expect(mail.parsed.from?.value).toEqual([{ name: 'Shop', address: 'no-reply@shop.example' }]);
});

test('550 5.1.1 answered at the end of DATA suppresses the address', async () => {
  const id = await push('reject-data-550@example.com', 'Shop');
  const done = await waitForStatus(system, id, ['sent', 'deliveryFailed']);
  expect(done.status).toBe('deliveryFailed');
  expect(done.reason).toMatch(/The address is invalid and is now suppressed: 550 5\.1\.1 .*\(DATA\)/);
  const list = await system.api('GET', '/v1/suppressions?channel=email&address=reject-data-550@example.com');
  expect(list.body.items).toEqual([expect.objectContaining({ address: 'reject-data-550@example.com', reason: expect.stringMatching(/^550 5\.1\.1/) })]);
});
