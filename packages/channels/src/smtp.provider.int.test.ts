import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createSmtpProvider } from './smtp.provider';
import type { EmailMessage, Provider } from './provider';
import { startSmtpSink, type SmtpSink } from './testing';

const message = (to: string, n = 1): EmailMessage => ({
  from: 'Shop <shop@example.test>',
  to,
  replyTo: 'help@example.test',
  subject: `Your order #${n} is confirmed`,
  html: `<p>Hello <b>Ada</b>, order ${n} is on its way.</p>`,
  text: `Hello Ada, order ${n} is on its way.`,
  headers: { 'X-Event-Id': `evt-${n}`, 'List-Unsubscribe': '<mailto:unsub@example.test>' },
});

describe('SMTP provider against smtp-server', () => {
  let sink: SmtpSink;
  let provider: Provider<EmailMessage>;

  beforeAll(async () => {
    sink = await startSmtpSink();
    provider = createSmtpProvider({ url: sink.url, name: 'smtp-test' });
  });
  afterAll(async () => {
    await provider.close();
    await sink.close();
  });

  it('delivers subject, html, text and headers, and reports the Message-ID', async () => {
    const outcome = await provider.send(message('ada@example.test'));
    expect(outcome).toEqual({ kind: 'sent', provider: 'smtp-test', providerMessageId: expect.stringMatching(/^<.+@example\.test>$/) });

    const mail = sink.messages.at(-1)!;
    expect(mail.envelope).toEqual({ mailFrom: 'shop@example.test', rcptTo: ['ada@example.test'] });
    expect(mail.parsed.subject).toBe('Your order #1 is confirmed');
    expect(mail.parsed.html).toContain('Hello <b>Ada</b>, order 1 is on its way.');
    expect(mail.parsed.text?.trim()).toBe('Hello Ada, order 1 is on its way.');
    expect(mail.parsed.headers.get('x-event-id')).toBe('evt-1');
    expect(mail.parsed.replyTo?.text).toBe('help@example.test');
    expect(mail.parsed.messageId).toBe(outcome.kind === 'sent' ? outcome.providerMessageId : '');
  });

  it('sends a burst over a handful of pooled connections', async () => {
    const before = sink.connectionCount;
    const received = sink.messages.length;
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => provider.send(message(`user${i}@example.test`, i))));
    expect(outcomes.every((o) => o.kind === 'sent')).toBe(true);
    expect(sink.messages.length - received).toBe(30);
    // Never more than maxConnections (5), however many messages.
    expect(sink.connectionCount - before).toBeLessThanOrEqual(5);
    const subjects = sink.messages.slice(received).map((m) => m.parsed.subject).sort();
    expect(subjects).toEqual(Array.from({ length: 30 }, (_, i) => `Your order #${i} is confirmed`).sort());
  });

  it.each([
    ['reject-421@example.test', 'transient', /^421 4\.7\.0/],
    ['reject-451@example.test', 'transient', /^451 4\.3\.0/],
    ['reject-550@example.test', 'address-invalid', /^550 5\.1\.1 .*User unknown/],
    ['reject-551@example.test', 'address-invalid', /^551 5\.1\.6/],
    ['reject-553@example.test', 'address-invalid', /^553 5\.1\.3/],
    ['reject-554@example.test', 'permanent', /^554 5\.7\.1/],
    ['reject-data-554@example.test', 'permanent', /^554 5\.7\.1 .*\(DATA\)$/],
    ['reject-data-451@example.test', 'transient', /^451/],
    // A relay that checks the recipient after the message: 550 5.1.1 at the end of DATA.
    ['reject-data-550@example.test', 'address-invalid', /^550 5\.1\.1 .*User unknown \(DATA\)$/],
  ])('classifies a refusal of %s as %s', async (to, kind, error) => {
    const outcome = await provider.send(message(to));
    expect(outcome).toEqual({ kind, provider: 'smtp-test', error: expect.stringMatching(error) });
  });

  it('still delivers after refusals (connections are reset or replaced, not poisoned)', async () => {
    await expect(provider.send(message('after@example.test'))).resolves.toMatchObject({ kind: 'sent' });
  });
});

describe('SMTP provider refusals with custom replies', () => {
  it('suppresses on 550 5.1.1 answered at the end of DATA, not on a content refusal there', async () => {
    const sink = await startSmtpSink({
      reply: (stage, rcpt) =>
        stage !== 'data' ? undefined : rcpt.startsWith('gone') ? { code: 550, message: '5.1.1 <gone@example.test>: user unknown' } : { code: 550, message: '5.7.1 Content rejected' },
    });
    const provider = createSmtpProvider({ url: sink.url, name: 'smtp-late-check' });
    try {
      await expect(provider.send(message('gone@example.test'))).resolves.toEqual({
        kind: 'address-invalid',
        provider: 'smtp-late-check',
        error: '550 5.1.1 <gone@example.test>: user unknown (DATA)',
      });
      await expect(provider.send(message('here@example.test'))).resolves.toMatchObject({ kind: 'permanent', error: expect.stringMatching(/^550 5\.7\.1/) });
      expect(sink.messages).toHaveLength(0);
    } finally {
      await provider.close();
      await sink.close();
    }
  });

  it('treats a policy 550 (5.7.1) as permanent, not as a bad address', async () => {
    const sink = await startSmtpSink({ reply: (stage) => (stage === 'rcpt' ? { code: 550, message: '5.7.1 Rejected by policy' } : undefined) });
    const provider = createSmtpProvider({ url: sink.url, name: 'smtp-policy' });
    try {
      await expect(provider.send(message('someone@example.test'))).resolves.toMatchObject({ kind: 'permanent' });
    } finally {
      await provider.close();
      await sink.close();
    }
  });
});

describe('SMTP provider sender headers', () => {
  let sink: SmtpSink;
  let provider: Provider<EmailMessage>;
  beforeAll(async () => {
    sink = await startSmtpSink();
    provider = createSmtpProvider({ url: sink.url, name: 'smtp-headers' });
  });
  afterAll(async () => {
    await provider.close();
    await sink.close();
  });

  it.each([
    ['from', { from: 'attacker@evil.example, Shop <no-reply@shop.example>' }, /^from must be exactly one mailbox: .* names more than one address$/],
    ['from', { from: 'Friends: a@x.example, b@y.example;' }, /^from must be exactly one mailbox: .* is a group/],
    ['from', { from: 'Shop <>' }, /^from must be exactly one mailbox: .* has an empty address$/],
    ['replyTo', { replyTo: 'a@x.example, b@y.example' }, /^replyTo must be exactly one mailbox: .* names more than one address$/],
  ])('refuses a %s that is not exactly one mailbox, permanently, before connecting', async (_field, headers, error) => {
    const before = sink.connectionCount;
    await expect(provider.send({ ...message('ada@example.test'), ...headers })).resolves.toEqual({ kind: 'permanent', provider: 'smtp-headers', error: expect.stringMatching(error) });
    expect(sink.connectionCount).toBe(before);
  });

  it('sends the parsed mailbox: the display name is quoted and cannot move the envelope sender', async () => {
    const outcome = await provider.send({ ...message('ada@example.test'), from: '"evil@x.example, Shop" <no-reply@shop.example>' });
    expect(outcome.kind).toBe('sent');
    const mail = sink.messages.at(-1)!;
    expect(mail.envelope.mailFrom).toBe('no-reply@shop.example');
    expect(mail.parsed.from?.value).toEqual([{ name: 'evil@x.example, Shop', address: 'no-reply@shop.example' }]);
  });
});

describe('SMTP provider connection failures', () => {
  it('is transient when nothing listens', async () => {
    const port = await freePort();
    const provider = createSmtpProvider({ url: `smtp://127.0.0.1:${port}`, name: 'smtp-down' });
    try {
      const outcome = await provider.send(message('ada@example.test'));
      expect(outcome).toEqual({ kind: 'transient', provider: 'smtp-down', error: expect.stringMatching(/ECONNREFUSED|ESOCKET|ECONNECTION/) });
    } finally {
      await provider.close();
    }
  });

  it('is transient when the server never greets (greeting timeout)', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const provider = createSmtpProvider({ url: `smtp://127.0.0.1:${port}`, name: 'smtp-silent', greetingTimeoutMs: 300 });
    try {
      await expect(provider.send(message('ada@example.test'))).resolves.toMatchObject({ kind: 'transient', provider: 'smtp-silent' });
    } finally {
      await provider.close();
      silent.close();
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
