import { generateKeyPairSync } from 'node:crypto';
import { createTransport } from 'nodemailer';
import { verpAddress } from '@mc/core';
import { mailOptions } from './mail-options';

const base = { from: 'Shop <no-reply@shop.example>', to: 'ada@example.test', subject: 's', html: '<p>x</p>', text: 'x' };

describe('mailOptions', () => {
  it('hands nodemailer the parsed sender mailboxes, never the text', () => {
    expect(mailOptions({ ...base, replyTo: '"Help, Desk" <help@shop.example>' })).toEqual({
      ok: true,
      recipients: 1,
      options: {
        from: { name: 'Shop', address: 'no-reply@shop.example' },
        to: 'ada@example.test',
        replyTo: { name: 'Help, Desk', address: 'help@shop.example' },
        subject: 's',
        html: '<p>x</p>',
        text: 'x',
        headers: undefined,
      },
    });
  });

  it.each([
    [{ from: 'attacker@evil.example, Shop <no-reply@shop.example>' }, 'from must be exactly one mailbox: "attacker@evil.example, Shop <no-reply@shop.example>" names more than one address'],
    [{ from: 'Shop <>' }, 'from must be exactly one mailbox: "Shop <>" has an empty address'],
    [{ replyTo: 'Team: a@x.example, b@x.example;' }, 'replyTo must be exactly one mailbox: "Team: a@x.example, b@x.example;" is a group, not one mailbox'],
    [{ replyTo: '' }, 'replyTo must be exactly one mailbox: "" is empty'],
  ])('refuses %p', (headers, error) => {
    expect(mailOptions({ ...base, ...headers })).toEqual({ ok: false, error });
  });

  it('counts a recipient list as more than one recipient', () => {
    expect(mailOptions({ ...base, to: 'a@x.example, b@x.example' })).toMatchObject({ ok: true, recipients: 2 });
  });
});

describe('mailOptions for an event', () => {
  const verp = { domain: 'bounce.shop.example', secret: 'verp-secret-0123456789' };

  it('envelopes the message with the event VERP address and names the event in Message-ID and a header', () => {
    const result = mailOptions({ ...base, eventId: '4242' }, { verp });
    if (!result.ok) throw new Error(result.error);
    expect(result.options.envelope).toEqual({ from: verpAddress('4242', verp), to: 'ada@example.test' });
    expect(result.options.messageId).toMatch(/^<mc\.4242\.[0-9a-f]{12}@bounce\.shop\.example>$/);
    expect(result.options.headers).toEqual({ 'X-MessageCenter-Event': '4242' });
  });

  it('without a bounce domain keeps the envelope of the From address', () => {
    const result = mailOptions({ ...base, eventId: '4242' });
    if (!result.ok) throw new Error(result.error);
    expect(result.options.envelope).toBeUndefined();
    expect(result.options.messageId).toMatch(/^<mc\.4242\.[0-9a-f]{12}@shop\.example>$/);
  });

  it('leaves a proof (no event) unmarked', () => {
    const result = mailOptions(base, { verp });
    if (!result.ok) throw new Error(result.error);
    expect(result.options).not.toHaveProperty('envelope');
    expect(result.options).not.toHaveProperty('messageId');
  });

  it('signs with the DKIM settings when given', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const dkim = { domainName: 'shop.example', keySelector: 'mc1', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    const result = mailOptions({ ...base, eventId: '7' }, { verp, dkim });
    if (!result.ok) throw new Error(result.error);
    const info = await createTransport({ streamTransport: true, buffer: true }).sendMail(result.options);
    const raw = (info.message as Buffer).toString();
    expect(raw).toMatch(/^DKIM-Signature: [^]*?d=shop\.example;[^]*?s=mc1;/m);
    expect(info.envelope).toEqual({ from: verpAddress('7', verp), to: ['ada@example.test'] });
  });
});
