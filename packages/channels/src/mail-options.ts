/**
 * An EmailMessage as nodemailer's mail options: one mapping for the SMTP and outbox providers,
 * so both obey the same header rule. `from` and `replyTo` must each be exactly one mailbox
 * (see `parseMailbox`); they are handed over as `{ name, address }`, so nodemailer never
 * re-reads the text and a display name from the data cannot add or replace an address.
 *
 * A message that delivers an event carries its id: with a bounce domain the envelope sender is
 * the event's VERP address (so a bounce names the event, see @mc/core verp.ts), and the id
 * rides in the Message-ID and `X-MessageCenter-Event` for people reading the mail. With DKIM
 * settings the message is signed for the From domain, so DMARC passes on it although the
 * envelope sender is at the bounce domain.
 */
import { randomUUID } from 'node:crypto';
import type { SendMailOptions } from 'nodemailer';
import { parseMailbox, verpAddress, type Mailbox, type VerpSettings } from '@mc/core';
import type { EmailMessage } from './provider';

/** How outgoing mail is enveloped and signed (BOUNCE_DOMAIN + VERP_SECRET, DKIM_*). */
export interface SenderSettings {
  verp?: VerpSettings;
  dkim?: { domainName: string; keySelector: string; privateKey: string };
}

export const EVENT_HEADER = 'X-MessageCenter-Event';

export type MailOptionsResult =
  | {
      ok: true;
      options: SendMailOptions;
      /** Recipients in the SMTP transaction: 1 for a single mailbox, otherwise more (or unknown). */
      recipients: number;
    }
  /** The message cannot be sent as it is: a permanent failure, `error` says which header and why. */
  | { ok: false; error: string };

export function mailOptions(message: EmailMessage, sender: SenderSettings = {}): MailOptionsResult {
  const from = senderHeader('from', message.from);
  if (typeof from === 'string') return { ok: false, error: from };
  const replyTo = message.replyTo === undefined ? undefined : senderHeader('replyTo', message.replyTo);
  if (typeof replyTo === 'string') return { ok: false, error: replyTo };
  const eventId = message.eventId;
  const headers = eventId === undefined ? message.headers : { ...message.headers, [EVENT_HEADER]: eventId };
  return {
    ok: true,
    options: {
      from,
      to: message.to,
      ...(replyTo ? { replyTo } : {}),
      subject: message.subject,
      html: message.html,
      text: message.text,
      headers,
      ...(eventId !== undefined
        ? {
            // Unique per send (a re-drive sends again), yet names the event to a reader.
            // randomUUID draws from a cached entropy pool; its last 12 hex digits are 48 random bits.
            messageId: `<mc.${eventId}.${randomUUID().slice(-12)}@${sender.verp?.domain ?? domainOf(from.address)}>`,
          }
        : {}),
      ...(eventId !== undefined && sender.verp ? { envelope: { from: verpAddress(eventId, sender.verp), to: message.to } } : {}),
      ...(sender.dkim ? { dkim: { ...sender.dkim } } : {}),
    },
    recipients: parseMailbox(message.to).ok ? 1 : 2,
  };
}

function senderHeader(field: 'from' | 'replyTo', value: string): Mailbox | string {
  const parsed = parseMailbox(value);
  if (parsed.ok) return parsed.mailbox;
  return `${field} must be exactly one mailbox: ${JSON.stringify(value)} ${parsed.problem}`;
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1) || 'localhost';
}
