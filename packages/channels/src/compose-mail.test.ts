import { generateKeyPairSync } from 'node:crypto';
import { createTransport, type SendMailOptions } from 'nodemailer';
import { simpleParser, type ParsedMail } from 'mailparser';
import { composeMail, sendableMail } from './compose-mail';
import { mailOptions } from './mail-options';

/** The same options composed by nodemailer itself, as a reader (mailparser) sees the message. */
async function nodemailerReads(options: SendMailOptions): Promise<ParsedMail> {
  const info = await createTransport({ streamTransport: true, buffer: true, newline: 'windows' }).sendMail(options);
  return simpleParser(info.message as Buffer);
}

function options(message: Parameters<typeof mailOptions>[0]): SendMailOptions {
  const result = mailOptions(message, { verp: { domain: 'bounce.shop.example', secret: 'verp-secret-0123456789' } });
  if (!result.ok) throw new Error(result.error);
  return result.options;
}

const seen = (mail: ParsedMail) => ({
  from: mail.from?.value,
  to: (Array.isArray(mail.to) ? mail.to : [mail.to]).flatMap((t) => t?.value ?? []),
  replyTo: mail.replyTo?.value,
  subject: mail.subject,
  text: mail.text,
  html: mail.html,
  messageId: mail.messageId,
  event: mail.headers.get('x-messagecenter-event'),
});

const cases: [string, Parameters<typeof mailOptions>[0]][] = [
  ['plain ASCII', { from: 'Shop <no-reply@shop.example>', to: 'ada@example.test', subject: 'Hello Ada', html: '<p>Hi</p>', text: 'Hi', eventId: '42' }],
  [
    'non-ASCII subject, names and bodies, a reply-to that needs quoting',
    {
      from: 'Zoë’s Shop <no-reply@shop.example>',
      replyTo: '"Help, Desk" <help@shop.example>',
      to: 'zoe@example.test',
      subject: 'Grüße, Zoë — your order 🎉 has shipped and this subject is long enough to be folded over lines',
      html: '<p>Grüße 🎉</p>\n<p>Straße</p>',
      text: 'Grüße 🎉\nStraße',
      eventId: '43',
    },
  ],
  [
    'mostly non-Latin text (base64) and an HTML line longer than SMTP allows',
    {
      from: 'no-reply@shop.example',
      to: 'kim@example.test',
      subject: 'こんにちは',
      html: `<p>${'x'.repeat(2500)}</p>`,
      text: 'こんにちは、世界。ご注文ありがとうございます。',
      eventId: '44',
    },
  ],
  [
    'bare LF, CRLF and a leading dot in the bodies',
    { from: 'no-reply@shop.example', to: 'a@example.test', subject: 'x', html: '<p>a</p>\r\n.\n<p>b</p>', text: 'a\r\nb\n.\nc', eventId: '45' },
  ],
  [
    'a header value with a line break and a subject with control characters',
    { from: 'no-reply@shop.example', to: 'a@example.test', subject: 'a\r\nBcc: evil@x.example\u0007', html: '<p>a</p>', text: 'a', headers: { 'X-Campaign': 'spring\r\nBcc: evil@x.example' } },
  ],
];

describe('composeMail', () => {
  it.each(cases)('reads the same as nodemailer composes it: %s', async (_name, message) => {
    const mail = options(message);
    const composed = composeMail(mail);
    if (!composed) throw new Error('expected the raw path');
    const ours = await simpleParser(composed.raw);
    const theirs = await nodemailerReads(mail);
    expect(seen(ours)).toEqual({ ...seen(theirs), messageId: ours.messageId });
    // Nothing but the header lines we wrote: a line break in a value cannot add a header.
    expect(ours.headers.has('bcc')).toBe(false);
    expect(composed.raw.split('\r\n').every((line) => Buffer.byteLength(line) <= 998)).toBe(true);
    expect(composed.raw).not.toMatch(/[^\r]\n|\r(?!\n)/);
    expect(composed.raw.endsWith('\r\n')).toBe(true);
  });

  it('sends ASCII lines of up to 998 octets as 7bit, and encodes a longer one', () => {
    const compose = (html: string) => composeMail(options({ from: 'no-reply@shop.example', to: 'a@example.test', subject: 'x', html, text: 'x' }))!.raw;
    expect(compose(`<p>\n${'y'.repeat(998)}\n</p>`)).toMatch(/text\/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit/);
    expect(compose(`<p>\n${'y'.repeat(999)}\n</p>`)).toMatch(/text\/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable/);
  });

  it('turns a lone CR, which SMTP does not allow, into a line break', async () => {
    const composed = composeMail(options({ from: 'no-reply@shop.example', to: 'a@example.test', subject: 'x', html: '<p>a</p>', text: 'a\rb' }))!;
    expect((await simpleParser(composed.raw)).text).toBe('a\nb');
  });

  it('keeps the event Message-ID and the VERP envelope, and names the message id it used', () => {
    const mail = options({ from: 'no-reply@shop.example', to: 'ada@example.test', subject: 's', html: '<p>x</p>', text: 'x', eventId: '4242' });
    const composed = composeMail(mail)!;
    expect(composed.messageId).toBe(mail.messageId);
    expect(composed.raw).toContain(`\r\nMessage-ID: ${mail.messageId}\r\n`);
    expect(composed.envelope).toEqual({ from: (mail.envelope as { from: string }).from, to: ['ada@example.test'] });
  });

  it('without an event, makes a Message-ID at the From domain and envelopes with the From address', () => {
    const composed = composeMail(options({ from: 'Shop <no-reply@shop.example>', to: 'ada@example.test', subject: 's', html: '<p>x</p>', text: 'x' }))!;
    expect(composed.messageId).toMatch(/^<[0-9a-f-]{36}@shop\.example>$/);
    expect(composed.envelope).toEqual({ from: 'no-reply@shop.example', to: ['ada@example.test'] });
  });

  it.each([
    ['a recipient list', { to: 'a@example.test, b@example.test' }],
    ['a named recipient', { to: 'Ada <ada@example.test>' }],
    ['a non-ASCII address', { to: 'zoë@example.test' }],
    ['no text part', { text: '' }],
    ['no HTML part', { html: '' }],
  ])('leaves the message to nodemailer for %s', (_name, change) => {
    const base = { from: 'no-reply@shop.example', to: 'ada@example.test', subject: 's', html: '<p>x</p>', text: 'x' };
    expect(composeMail(options({ ...base, ...change }))).toBeUndefined();
  });

  it('leaves attachments to nodemailer', () => {
    const mail = { ...options({ from: 'no-reply@shop.example', to: 'ada@example.test', subject: 's', html: '<p>x</p>', text: 'x' }), attachments: [{ content: 'x' }] };
    expect(composeMail(mail)).toBeUndefined();
    expect(sendableMail(mail)).toEqual({ mail });
  });

  it('the raw message is DKIM-signed when the options say so', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const dkim = { domainName: 'shop.example', keySelector: 'mc1', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    const result = mailOptions({ from: 'no-reply@shop.example', to: 'ada@example.test', subject: 's', html: '<p>x</p>', text: 'x', eventId: '7' }, { dkim });
    if (!result.ok) throw new Error(result.error);
    const { mail, messageId } = sendableMail(result.options);
    expect(mail.raw).toBeDefined();
    const info = await createTransport({ streamTransport: true, buffer: true }).sendMail(mail);
    const raw = (info.message as Buffer).toString();
    expect(raw).toMatch(/^DKIM-Signature: [^]*?d=shop\.example;[^]*?s=mc1;/m);
    expect(raw).toContain(`Message-ID: ${messageId}`);
    expect(info.messageId).toBe(messageId);
    // Exactly one Message-ID: the one composed, nothing added by the transport.
    expect(raw.match(/^Message-ID:/gim)).toHaveLength(1);
  });
});
