/**
 * An EmailMessage as nodemailer's mail options: one mapping for the SMTP and outbox providers,
 * so both obey the same header rule. `from` and `replyTo` must each be exactly one mailbox
 * (see `parseMailbox`); they are handed over as `{ name, address }`, so nodemailer never
 * re-reads the text and a display name from the data cannot add or replace an address.
 */
import type { SendMailOptions } from 'nodemailer';
import { parseMailbox, type Mailbox } from '@mc/core';
import type { EmailMessage } from './provider';

export type MailOptionsResult =
  | {
      ok: true;
      options: SendMailOptions;
      /** Recipients in the SMTP transaction: 1 for a single mailbox, otherwise more (or unknown). */
      recipients: number;
    }
  /** The message cannot be sent as it is: a permanent failure, `error` says which header and why. */
  | { ok: false; error: string };

export function mailOptions(message: EmailMessage): MailOptionsResult {
  const from = senderHeader('from', message.from);
  if (typeof from === 'string') return { ok: false, error: from };
  const replyTo = message.replyTo === undefined ? undefined : senderHeader('replyTo', message.replyTo);
  if (typeof replyTo === 'string') return { ok: false, error: replyTo };
  return {
    ok: true,
    options: {
      from,
      to: message.to,
      ...(replyTo ? { replyTo } : {}),
      subject: message.subject,
      html: message.html,
      text: message.text,
      headers: message.headers,
    },
    recipients: parseMailbox(message.to).ok ? 1 : 2,
  };
}

function senderHeader(field: 'from' | 'replyTo', value: string): Mailbox | string {
  const parsed = parseMailbox(value);
  if (parsed.ok) return parsed.mailbox;
  return `${field} must be exactly one mailbox: ${JSON.stringify(value)} ${parsed.problem}`;
}
