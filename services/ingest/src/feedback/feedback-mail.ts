/**
 * Reads a bounce or complaint that arrived as mail (RFC 5322, through the HTTP intake or the
 * SMTP listener): a delivery status notification (`multipart/report;
 * report-type=delivery-status`, RFC 3464) or an abuse report (ARF, `report-type=feedback-report`,
 * RFC 5965), parsed with mailparser. It says what the report means and which addresses might
 * be our VERP address; verifying one is the caller's (see @mc/core verp.ts).
 */
import { createHash } from 'node:crypto';
import { loadMailparser } from '../lazy-modules';
import { parseFieldBlocks, typedValue, type FieldBlock } from './report-fields';

/** What a report asks of us. */
export type FeedbackEffect =
  /** A permanent failure (Action: failed, Status 5.x.x): suppress, the event becomes `bounced`. */
  | 'bounced'
  /** A complaint (ARF): suppress, the event becomes `complained`. */
  | 'complained'
  /** A transient failure (Action: delayed, or a 4.x.x status): noted on the delivery only. */
  | 'delayed'
  /** Nothing to act on (delivered, relayed, expanded). */
  | 'none';

export interface DsnRecipient {
  finalRecipient?: string;
  action?: string;
  status?: string;
  diagnosticCode?: string;
}

export interface FeedbackMail {
  /** Which report the message is; `other` when it is neither a DSN nor an ARF report. */
  type: 'delivery-status' | 'feedback-report' | 'other';
  effect: FeedbackEffect;
  /** A person-readable account: status, diagnostic, reporting MTA or feedback type. */
  reason: string;
  /** The report's own identity (its Message-ID, else a digest of the bytes): a repeat is seen. */
  reportId: string;
  /** Where our VERP address may appear, most trustworthy first. */
  verpCandidates: string[];
  recipients: DsnRecipient[];
  /** ARF: the Feedback-Type (abuse, fraud, ...). */
  feedbackType?: string;
}

/** Outer headers a receiving MTA puts the envelope recipient (the VERP address) in. */
const ENVELOPE_HEADERS = ['x-original-to', 'delivered-to', 'envelope-to', 'to', 'return-path'];

export async function parseFeedbackMail(raw: Buffer): Promise<FeedbackMail> {
  const { simpleParser } = await loadMailparser();
  // keepDeliveryStatus: the DSN part stays a part of its own instead of being merged into the text.
  const mail = await simpleParser(raw, { keepDeliveryStatus: true, skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const reportId = mail.messageId?.trim() || `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  const part = (...types: string[]) => mail.attachments.find((a) => types.includes(a.contentType.toLowerCase()));

  const candidates: string[] = [];
  for (const name of ENVELOPE_HEADERS) candidates.push(...addressesOf(mail.headers.get(name)));
  const original = part('message/rfc822', 'text/rfc822-headers', 'message/global', 'message/global-headers');
  const originalReturnPath = original ? /^return-path:\s*(.+)$/im.exec(headerSection(original.content.toString('utf8')))?.[1] : undefined;

  const status = part('message/delivery-status', 'message/global-delivery-status');
  if (status) {
    const [perMessage = {}, ...perRecipient] = parseFieldBlocks(status.content.toString('utf8'));
    const recipients = perRecipient.filter((block) => block['final-recipient'] || block['action']).map(toRecipient);
    if (originalReturnPath) candidates.push(originalReturnPath);
    const { effect, reason } = judgeDsn(recipients, perMessage);
    return { type: 'delivery-status', effect, reason, reportId, verpCandidates: unique(candidates), recipients };
  }

  const report = part('message/feedback-report');
  if (report) {
    const fields: FieldBlock = parseFieldBlocks(report.content.toString('utf8'))[0] ?? {};
    // Original-Mail-From is the report's own record of our envelope sender; the original's
    // Return-Path is the receiving MTA's.
    const originalMailFrom = typedValue(fields['original-mail-from']);
    const feedbackType = (fields['feedback-type'] ?? 'abuse').toLowerCase();
    const recipient = typedValue(fields['original-rcpt-to']);
    return {
      type: 'feedback-report',
      effect: 'complained',
      reason: `Complaint (ARF ${feedbackType}${fields['user-agent'] ? ` from ${fields['user-agent']}` : ''})`,
      reportId,
      verpCandidates: unique([...(originalMailFrom ? [originalMailFrom] : []), ...(originalReturnPath ? [originalReturnPath] : []), ...candidates]),
      recipients: recipient ? [{ finalRecipient: recipient }] : [],
      feedbackType,
    };
  }
  return { type: 'other', effect: 'none', reason: 'Neither a delivery status notification nor a feedback report', reportId, verpCandidates: unique(candidates), recipients: [] };
}

function toRecipient(block: FieldBlock): DsnRecipient {
  return {
    ...(typedValue(block['final-recipient'] ?? block['original-recipient']) !== undefined
      ? { finalRecipient: typedValue(block['final-recipient'] ?? block['original-recipient'])! }
      : {}),
    ...(block['action'] ? { action: block['action'].toLowerCase() } : {}),
    ...(block['status'] ? { status: /\d\.\d{1,3}\.\d{1,3}/.exec(block['status'])?.[0] ?? block['status'] } : {}),
    ...(block['diagnostic-code'] ? { diagnosticCode: block['diagnostic-code'] } : {}),
  };
}

/**
 * The strongest effect over the recipients (our messages have one): failed with a 5.x.x status
 * is permanent; delayed, or failed with a 4.x.x status (a relay that gave up retrying, e.g.
 * 4.4.7), is transient — the address may be fine, so it is not suppressed.
 */
export function judgeDsn(recipients: readonly DsnRecipient[], perMessage: FieldBlock = {}): { effect: FeedbackEffect; reason: string } {
  const mta = typedValue(perMessage['reporting-mta']);
  const describe = (r: DsnRecipient, what: string) =>
    [what, r.status, r.diagnosticCode ? `(${r.diagnosticCode})` : undefined, mta ? `reported by ${mta}` : undefined].filter(Boolean).join(' ');
  const permanent = recipients.find((r) => r.action === 'failed' && r.status?.startsWith('5'));
  if (permanent) return { effect: 'bounced', reason: describe(permanent, 'Bounced:') };
  const transient = recipients.find((r) => r.action === 'delayed' || r.status?.startsWith('4') || (r.action === 'failed' && !r.status));
  if (transient) return { effect: 'delayed', reason: describe(transient, `Delivery ${transient.action ?? 'delayed'}:`) };
  return { effect: 'none', reason: `Nothing to act on (${recipients.map((r) => r.action ?? 'no action').join(', ') || 'no recipients'})` };
}

function headerSection(message: string): string {
  const end = message.search(/\r?\n\r?\n/);
  return end < 0 ? message : message.slice(0, end);
}

/** Addresses out of a mailparser header value (an AddressObject, a list of them, or text). */
function addressesOf(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(addressesOf);
  const object = value as { value?: { address?: string; group?: unknown[] }[]; text?: string };
  if (Array.isArray(object.value)) {
    return object.value.flatMap((entry) => (entry.address ? [entry.address] : entry.group ? addressesOf({ value: entry.group }) : []));
  }
  return object.text ? [object.text] : [];
}

function unique(values: string[]): string[] {
  return [...new Set(values.map((v) => v.trim()).filter(Boolean))];
}
