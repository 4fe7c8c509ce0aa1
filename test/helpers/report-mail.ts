/**
 * Builds the bounce and complaint mail that receiving MTAs send back, the way they build it:
 * a DSN (multipart/report; report-type=delivery-status, RFC 3464) or an ARF abuse report
 * (report-type=feedback-report, RFC 5965), each carrying the original message's headers.
 */
import { randomBytes } from 'node:crypto';

export interface OriginalMessage {
  /** The envelope sender the message went out with (a VERP address): where the report goes. */
  envelopeFrom: string;
  recipient: string;
  messageId: string;
  subject?: string;
}

export interface DsnOptions {
  action?: 'failed' | 'delayed' | 'delivered' | 'relayed';
  status?: string;
  diagnostic?: string;
  /** The report's own Message-ID. @defaultValue a fresh one */
  reportId?: string;
}

const crlf = (lines: string[]) => lines.join('\r\n');

function originalHeaders(original: OriginalMessage): string[] {
  return [
    `Return-Path: <${original.envelopeFrom}>`,
    `Message-ID: ${original.messageId}`,
    `To: ${original.recipient}`,
    `Subject: ${original.subject ?? 'Your order'}`,
  ];
}

export function buildDsn(original: OriginalMessage, options: DsnOptions = {}): string {
  const boundary = `dsn-${randomBytes(6).toString('hex')}`;
  const action = options.action ?? 'failed';
  const status = options.status ?? (action === 'failed' ? '5.1.1' : '4.4.1');
  const diagnostic = options.diagnostic ?? (status.startsWith('5') ? '550 5.1.1 The email account does not exist' : '451 4.4.1 Try again later');
  return crlf([
    'From: Mail Delivery System <MAILER-DAEMON@mx.recipient.example>',
    `To: ${original.envelopeFrom}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: ${options.reportId ?? `<${randomBytes(8).toString('hex')}@mx.recipient.example>`}`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `This is the mail system at host mx.recipient.example. Your message to <${original.recipient}> could not be delivered.`,
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.recipient.example',
    'Arrival-Date: Mon, 30 Nov 2026 09:00:00 +0000',
    '',
    `Final-Recipient: rfc822; ${original.recipient}`,
    `Original-Recipient: rfc822; ${original.recipient}`,
    `Action: ${action}`,
    `Status: ${status}`,
    `Diagnostic-Code: smtp; ${diagnostic}`,
    '',
    `--${boundary}`,
    'Content-Type: text/rfc822-headers',
    '',
    ...originalHeaders(original),
    '',
    `--${boundary}--`,
    '',
  ]);
}

export function buildArf(original: OriginalMessage, options: { reportId?: string; feedbackType?: string } = {}): string {
  const boundary = `arf-${randomBytes(6).toString('hex')}`;
  return crlf([
    'From: Feedback Loop <fbl@mailbox.example>',
    'To: fbl-reports@shop.example',
    'Subject: Abuse report',
    `Message-ID: ${options.reportId ?? `<${randomBytes(8).toString('hex')}@mailbox.example>`}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=feedback-report; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain',
    '',
    'This is an email abuse report for an email message received from your system.',
    '',
    `--${boundary}`,
    'Content-Type: message/feedback-report',
    '',
    `Feedback-Type: ${options.feedbackType ?? 'abuse'}`,
    'User-Agent: ExampleFBL/1.0',
    'Version: 1',
    `Original-Mail-From: <${original.envelopeFrom}>`,
    `Original-Rcpt-To: <${original.recipient}>`,
    'Arrival-Date: Mon, 30 Nov 2026 09:00:00 +0000',
    '',
    `--${boundary}`,
    'Content-Type: message/rfc822',
    '',
    ...originalHeaders(original),
    '',
    'The original body.',
    '',
    `--${boundary}--`,
    '',
  ]);
}
