/**
 * Bounces and complaints end to end, through the running services: the test takes the message
 * the SMTP sink actually received (its VERP envelope sender, Message-ID, event header), builds
 * the bounce a receiving MTA would send back, and delivers it through the HTTP mail intake and
 * through the ingest's SMTP bounce listener. A permanent bounce suppresses the address and the
 * event becomes `bounced`; an ARF complaint makes it `complained`; a forged VERP address and a
 * repeat change nothing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTransport } from 'nodemailer';
import { Webhook } from 'standardwebhooks';
import { freePort, startSystem, waitForStatus, type System } from '../helpers/system';
import { buildArf, buildDsn } from '../helpers/report-mail';

jest.setTimeout(90_000);

const BOUNCE_DOMAIN = 'bounce.shop.example';
let system: System;
let smtpPort: number;
let feedbackKey: string;
let webhookSecret: string;
/** What the webhook receiver got: body and headers of each request. */
const hooks: { body: string; headers: Record<string, string> }[] = [];
const receiver = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    hooks.push({ body: Buffer.concat(chunks).toString('utf8'), headers: request.headers as Record<string, string> });
    response.writeHead(204).end();
  });
});

beforeAll(async () => {
  smtpPort = await freePort();
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  system = await startSystem({
    env: {
      BOUNCE_DOMAIN,
      VERP_SECRET: 'e2e-verp-secret-0123456789',
      FEEDBACK_SMTP_PORT: String(smtpPort),
      // The webhook receiver listens on loopback: exempted from the outbound policy.
      OUTBOUND_ALLOW_PRIVATE: '127.0.0.1',
    },
  });
  const endpoint = await system.api('POST', '/v1/webhook-endpoints', {
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
    events: ['event.bounced', 'event.complained'],
  });
  expect(endpoint.status).toBe(201);
  webhookSecret = endpoint.body.secret;
  expect((await system.api('POST', '/v1/event-types', { key: 'RECEIPT', label: 'Receipt' })).status).toBe(201);
  const created = await system.api('POST', '/v1/templates', {
    eventType: 'RECEIPT',
    channel: 'email',
    name: 'receipt',
    content: {
      subject: 'Your receipt',
      from: 'Shop <no-reply@shop.example>',
      mjml: '<mjml><mj-body><mj-section><mj-column><mj-text>Thanks</mj-text></mj-column></mj-section></mj-body></mjml>',
    },
  });
  expect(created.status).toBe(201);
  expect((await system.api('POST', `/v1/templates/${created.body.id}/publish`)).status).toBe(201);
  const key = await system.api('POST', '/v1/api-keys', { name: 'mx relay', scopes: ['feedback'] });
  expect(key.status).toBe(201);
  feedbackKey = key.body.key;
});

afterAll(async () => {
  await system?.stop();
  await new Promise((resolve) => receiver.close(resolve));
});

/** The signed webhook message of `type` about event `id`, once it arrived (verified). */
async function webhookAbout(id: string, type: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    for (const hook of hooks) {
      const message = new Webhook(webhookSecret).verify(hook.body, hook.headers) as { type: string; data: { id: string } };
      if (message.type === type && message.data.id === id) return message;
    }
    if (Date.now() > deadline) throw new Error(`no ${type} webhook for event ${id}; received ${hooks.length}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends an event to `email` and returns what the sink received for it. */
async function sent(email: string) {
  const accepted = await system.api('POST', '/v1/events', { type: 'RECEIPT', email }, system.ingestKey);
  expect(accepted.status).toBe(202);
  const id = accepted.body.id as string;
  expect((await waitForStatus(system, id, ['sent', 'deliveryFailed'])).status).toBe('sent');
  const mail = system.sink.messages.find((m) => m.envelope.rcptTo.includes(email))!;
  return {
    id,
    mail,
    original: { envelopeFrom: mail.envelope.mailFrom, recipient: email, messageId: mail.parsed.messageId! },
  };
}

const postMail = (raw: string) =>
  fetch(`${system.baseUrl}/v1/feedback/email`, {
    method: 'POST',
    headers: { authorization: `Bearer ${feedbackKey}`, 'content-type': 'message/rfc822' },
    body: raw,
  }).then(async (response) => ({ status: response.status, body: await response.json() }));

const suppressions = async (address: string) =>
  (await system.api('GET', `/v1/suppressions?channel=email&address=${encodeURIComponent(address)}`)).body.items as unknown[];

/** Mails a report to the bounce listener as a receiving MTA would: null sender, to the VERP address. */
const mailToListener = (to: string, raw: string) =>
  createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true }).sendMail({ envelope: { from: '', to }, raw });

test('the sent message carries a VERP envelope sender and the event id', async () => {
  const { id, mail } = await sent('reader@example.test');
  expect(mail.envelope.mailFrom).toMatch(new RegExp(`^bounces\\+${id}-[0-9a-f]{16}@${BOUNCE_DOMAIN.replace(/\./g, '\\.')}$`));
  expect(mail.parsed.messageId).toMatch(new RegExp(`^<mc\\.${id}\\.[0-9a-f]+@${BOUNCE_DOMAIN.replace(/\./g, '\\.')}>$`));
  expect(mail.parsed.headers.get('x-messagecenter-event')).toBe(id);
  expect(mail.parsed.from?.value).toEqual([{ name: 'Shop', address: 'no-reply@shop.example' }]);
});

test('a DSN through the HTTP intake: forged VERP changes nothing; the real one bounces and suppresses; a repeat changes nothing', async () => {
  const { id, original } = await sent('gone@example.test');
  const forgedFrom = original.envelopeFrom.replace(/-[0-9a-f]{16}@/, '-0123456789abcdef@');
  const forged = await postMail(buildDsn({ ...original, envelopeFrom: forgedFrom }));
  expect(forged.status).toBe(422);
  expect(forged.body.detail).toMatch(/does not verify/);
  expect((await system.api('GET', `/v1/events/${id}`)).body.status).toBe('sent');
  expect(await suppressions('gone@example.test')).toEqual([]);

  const dsn = buildDsn(original);
  const applied = await postMail(dsn);
  expect(applied).toEqual({ status: 200, body: { outcome: 'applied', effect: 'bounced', eventId: id, status: 'bounced' } });
  const event = (await system.api('GET', `/v1/events/${id}`)).body;
  expect(event).toMatchObject({ status: 'bounced', reason: expect.stringMatching(/^Bounced: 5\.1\.1/) });
  // The event's timeline: the send, then the bounce; and the event as it was accepted.
  expect(event.deliveries[0].attemptLog.map((a: { outcome: string }) => a.outcome)).toEqual(['sent', 'bounced']);
  expect(event.payload).toMatchObject({ type: 'RECEIPT', email: 'gone@example.test' });
  expect(await suppressions('gone@example.test')).toEqual([expect.objectContaining({ address: 'gone@example.test', source: 'feedback:mail' })]);
  const listed = await system.api('GET', '/v1/events?status=bounced', undefined, system.ingestKey);
  expect(listed.body.items.map((e: { id: string }) => e.id)).toContain(id);

  // The upstream system hears of it through a signed event.bounced webhook.
  expect(await webhookAbout(id, 'event.bounced')).toMatchObject({
    type: 'event.bounced',
    data: { id, eventType: 'RECEIPT', status: 'bounced', reason: expect.stringMatching(/^Bounced: 5\.1\.1/) },
  });

  expect((await postMail(dsn)).body).toMatchObject({ outcome: 'unchanged', status: 'bounced' });
  expect((await system.api('GET', `/v1/events/${id}`)).body).toEqual(event);

  // The next event to the address is not sent.
  const next = await system.api('POST', '/v1/events', { type: 'RECEIPT', email: 'gone@example.test' }, system.ingestKey);
  expect((await waitForStatus(system, next.body.id, ['ignored', 'sent'])).status).toBe('ignored');
});

test('a DSN through the SMTP listener bounces its event; a forged VERP address is refused at RCPT TO', async () => {
  const { id, original } = await sent('left@example.test');
  const forgedTo = original.envelopeFrom.replace(/-[0-9a-f]{16}@/, '-fedcba9876543210@');
  await expect(mailToListener(forgedTo, buildDsn({ ...original, envelopeFrom: forgedTo }))).rejects.toMatchObject({ responseCode: 550 });
  expect((await system.api('GET', `/v1/events/${id}`)).body.status).toBe('sent');

  const info = await mailToListener(original.envelopeFrom, buildDsn(original));
  expect(info.response).toMatch(/^250 .*applied/);
  expect((await waitForStatus(system, id, ['bounced'])).status).toBe('bounced');
  expect(await suppressions('left@example.test')).toHaveLength(1);
});

test('an ARF complaint makes the event complained and suppresses the address; metrics count both statuses', async () => {
  const { id, original } = await sent('annoyed@example.test');
  const arf = buildArf(original);
  expect((await postMail(arf)).body).toEqual({ outcome: 'applied', effect: 'complained', eventId: id, status: 'complained' });
  expect(await suppressions('annoyed@example.test')).toHaveLength(1);
  expect((await postMail(arf)).body).toMatchObject({ outcome: 'unchanged' });
  const listed = await system.api('GET', '/v1/events?status=complained', undefined, system.ingestKey);
  expect(listed.body.items.map((e: { id: string }) => e.id)).toEqual([id]);

  const metrics = await fetch(`${system.baseUrl}/metrics`, { headers: { authorization: `Bearer ${system.adminKey}` } }).then((r) => r.text());
  expect(metrics).toMatch(/mc_events_finished_total\{status="bounced"\} 2/);
  expect(metrics).toMatch(/mc_events_finished_total\{status="complained"\} 1/);
});
