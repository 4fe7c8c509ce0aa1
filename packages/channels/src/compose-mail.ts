/**
 * The MIME message of an ordinary email (text + HTML alternative, no attachments), composed
 * in one pass into one string, handed to nodemailer as `raw` with its envelope.
 *
 * Why: nodemailer builds each message as a tree of MIME nodes and streams every part through
 * a chain of transforms (encoding, line endings) — most of the worker's CPU per SMTP send. A
 * raw message skips all of that and costs what the bare nodemailer pool costs.
 *
 * Headers are encoded by nodemailer's own header encoder (`MimeNode#encodeHeaderValue`: the
 * same address formatting, encoded words and control-character handling as a composed
 * message) and folded by its `foldLines`. Bodies go out as 7bit when they are ASCII with lines
 * of at most 998 octets (RFC 5322 §2.1.1) — no encoding work at all — else quoted-printable or
 * base64 by the same rule nodemailer uses (mostly Latin text: QP). Anything out of the
 * ordinary (attachments, address lists, a non-ASCII address, no text or no HTML part) returns
 * undefined, and the caller lets nodemailer compose the message as before.
 */
import { randomUUID } from 'node:crypto';
import type { SendMailOptions } from 'nodemailer';
import MimeNode from 'nodemailer/lib/mime-node';
import * as mimeFuncs from 'nodemailer/lib/mime-funcs';
import * as qp from 'nodemailer/lib/qp';

export interface ComposedMail {
  /** The whole RFC 5322 message, CRLF line endings. */
  raw: string;
  envelope: { from: string; to: string[] };
  /** The Message-ID header's value, `<…>`. */
  messageId: string;
}

/** One addr-spec and nothing else: no name, no list, no group, ASCII only (as nodemailer's PLAIN_ADDRESS). */
const PLAIN_ADDRESS = /^[^\s"(),:;<>@[\\\]\u0080-\uffff]+@[^\s"(),:;<>@[\\\]\u0080-\uffff]+$/;
const HEADER_KEY = /^[A-Za-z0-9-]+$/;
const NOT_7BIT = /[^\x09\x0a\x0d\x20-\x7e]/;

/** Whether a line is longer than SMTP allows (998 octets; UTF-16 units count as octets here, only ASCII gets this far). */
function hasLineOver998(content: string): boolean {
  let start = 0;
  for (;;) {
    const lf = content.indexOf('\n', start);
    const end = lf === -1 ? content.length : lf;
    // A lone CR becomes a line break too, so only a line without one can be too long.
    if (end - start > 998 && content.slice(start, end).split('\r').some((line) => line.length > 998)) return true;
    if (lf === -1) return false;
    start = lf + 1;
  }
}

interface Mailbox {
  name?: string;
  address: string;
}

const asMailbox = (value: unknown): Mailbox | undefined => {
  if (typeof value === 'string') return PLAIN_ADDRESS.test(value) ? { address: value } : undefined;
  const box = value as Mailbox | undefined;
  return box && typeof box.address === 'string' && PLAIN_ADDRESS.test(box.address) ? box : undefined;
};

/** Encodes header values as a nodemailer-composed message would; holds no per-message state. */
const headerEncoder = new MimeNode();

const header = (key: string, value: unknown): string =>
  mimeFuncs.foldLines(`${key}: ${headerEncoder.encodeHeaderValue(key, value as string)}`, 76);

/** A body part: its Content-Transfer-Encoding and the encoded content, CRLF line endings. */
function encodeBody(content: string): { encoding: string; body: string } {
  if (!NOT_7BIT.test(content) && !hasLineOver998(content)) {
    return { encoding: '7bit', body: content.replace(/\r?\n|\r/g, '\r\n') };
  }
  const bytes = Buffer.from(content.replace(/\r?\n|\r/g, '\r\n'));
  if (textEncoding(content) === 'Q') return { encoding: 'quoted-printable', body: qp.wrap(qp.encode(bytes), 76) };
  return { encoding: 'base64', body: bytes.toString('base64').replace(/.{76}(?!$)/g, '$&\r\n') };
}

/** nodemailer's choice: quoted-printable when Latin characters outnumber the others. */
function textEncoding(value: string): 'Q' | 'B' {
  let other = 0;
  let latin = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x08 || code === 0x0b || code === 0x0c || (code >= 0x0e && code <= 0x1f) || code >= 0x80) other++;
    else latin++;
  }
  return other < latin ? 'Q' : 'B';
}

export function composeMail(options: SendMailOptions): ComposedMail | undefined {
  const { html, text, subject } = options;
  if (typeof html !== 'string' || typeof text !== 'string' || html === '' || text === '') return undefined;
  if (options.attachments || options.alternatives || options.cc || options.bcc || options.raw || options.icalEvent) return undefined;
  const from = asMailbox(options.from);
  const to = typeof options.to === 'string' && PLAIN_ADDRESS.test(options.to) ? options.to : undefined;
  const replyTo = options.replyTo === undefined ? undefined : asMailbox(options.replyTo);
  if (!from || !to || (options.replyTo !== undefined && !replyTo)) return undefined;
  const extra = Object.entries((options.headers ?? {}) as Record<string, unknown>);
  if (!extra.every(([key, value]) => HEADER_KEY.test(key) && typeof value === 'string')) return undefined;

  const messageId = headerEncoder.encodeHeaderValue(
    'Message-ID',
    (options.messageId as string | undefined) ?? `<${randomUUID()}@${from.address.slice(from.address.lastIndexOf('@') + 1)}>`,
  );
  const boundary = `--_mc-${randomUUID()}`;
  const plain = encodeBody(text);
  const rich = encodeBody(html);
  const lines = [
    header('From', from),
    header('To', to),
    ...(replyTo ? [header('Reply-To', replyTo)] : []),
    header('Subject', typeof subject === 'string' ? subject : ''),
    `Message-ID: ${messageId}`,
    ...extra.map(([key, value]) => header(key, value)),
    `Date: ${new Date().toUTCString().replace(/GMT/, '+0000')}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Transfer-Encoding: ${plain.encoding}`,
    '',
    plain.body,
    `--${boundary}`,
    'Content-Type: text/html; charset=utf-8',
    `Content-Transfer-Encoding: ${rich.encoding}`,
    '',
    rich.body,
    `--${boundary}--`,
    '',
  ];
  const envelope = options.envelope as { from?: string; to?: string } | undefined;
  return {
    raw: lines.join('\r\n'),
    envelope: { from: envelope?.from ?? from.address, to: [envelope?.to ?? to] },
    messageId,
  };
}

/**
 * What to hand nodemailer's `sendMail` for these options: the composed raw message with its
 * envelope (and the DKIM settings, which nodemailer applies to a raw message as to any other),
 * or the options themselves when the message is out of the ordinary. `messageId` is the
 * message's own (nodemailer cannot read it back from a raw message).
 */
export function sendableMail(options: SendMailOptions): { mail: SendMailOptions; messageId?: string } {
  const composed = composeMail(options);
  if (!composed) return { mail: options };
  return {
    // The message id rides along so nodemailer reports it instead of drawing a random one of its own.
    mail: { envelope: composed.envelope, raw: composed.raw, messageId: composed.messageId, ...(options.dkim ? { dkim: options.dkim } : {}) },
    messageId: composed.messageId,
  };
}
