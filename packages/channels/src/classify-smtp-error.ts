/**
 * Classifies a nodemailer SMTP failure from its reply code, enhanced status code (RFC 3463)
 * and error code. Kept apart from the transport so the rules can be tested without a server.
 */
import type { SendOutcome } from './provider';
import { errorText } from './error-text';

/** The parts of a nodemailer error that classification reads. */
export interface SmtpErrorLike {
  message?: string;
  code?: string;
  /** What nodemailer's code replaced, e.g. ECONNREFUSED under ESOCKET. */
  originalCode?: string;
  responseCode?: number;
  response?: string;
  /** SMTP command in flight, e.g. `RCPT TO`, `MAIL FROM`, `DATA`. */
  command?: string;
}

/**
 * Failures of the connection or of our own setup (credentials, TLS, DNS): the message is
 * fine and every message would fail the same way, so retrying (and failing over) is right.
 */
const TRANSIENT_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'EPROXY',
  'EAUTH',
  'ENOAUTH',
  'EOAUTH2',
  'EMAXLIMIT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** Problems with this message itself, found before any server answered: retrying cannot help. */
const PERMANENT_CODES = new Set([
  'EENVELOPE',
  'EMESSAGE',
  'ESTREAM',
  'EOTP',
  'EMAXRECIPIENTS',
  'EREQUIRETLS',
  'EFILEACCESS',
  'EURLACCESS',
]);

/**
 * Enhanced status codes that say the recipient's address is bad (RFC 3463 §3.2, X.1.x), minus
 * 5.1.7/5.1.8 which blame the *sender's* address and must not suppress the recipient.
 * 5.2.1 is "mailbox disabled": the account is gone for practical purposes.
 */
const ADDRESS_STATUS = /^5\.1\.(?!7$|8$)\d{1,3}$|^5\.2\.1$/;

/** Bare-550 texts that mean "no such mailbox" on servers that send no enhanced code. */
const UNKNOWN_USER_TEXT =
  /user unknown|unknown user|no such (?:user|mailbox|recipient)|mailbox (?:unavailable|not found|does not exist)|does not exist|recipient (?:address )?rejected|invalid (?:recipient|mailbox)|unknown recipient|address rejected/i;

/** 4xx texts of a relay limiting us (Postfix, Exchange Online, Gmail, SES SMTP). */
const RATE_TEXT = /\brate\b|rate.?limit|too many (?:messages|connections|mails|emails)|throttl|slow down|sending quota|exceeded .*limit/i;

/** SMTP has no Retry-After: how long a relay that said "too many" is left alone. */
export const SMTP_RATE_HOLD_MS = 30_000;

/** What the classification knows of the SMTP transaction the error ended. */
export interface SmtpTransaction {
  /**
   * Recipients in the transaction. A recipient status answered after DATA can only be about
   * the recipient when there was one. @defaultValue 1 (every message here has one recipient)
   */
  recipients?: number;
}

export function classifySmtpError(provider: string, err: SmtpErrorLike, transaction: SmtpTransaction = {}): SendOutcome {
  const error = describe(err);
  const reply = err.responseCode;

  if (typeof reply === 'number' && reply >= 400) {
    // The relay says "too many, slow down" (421/450/451/452 with a rate text): hold the relay.
    if (reply < 500 && RATE_TEXT.test(err.response ?? '')) return { kind: 'rate-limited', provider, error, retryAfterMs: SMTP_RATE_HOLD_MS };
    // 4xx (421 included) and 503 (bad command sequence: a session problem, the same
    // message goes through on a fresh connection) are worth another try.
    if (reply < 500 || reply === 503) return { kind: 'transient', provider, error };
    if (reply < 600) {
      return isBadRecipient(err, reply, transaction.recipients ?? 1) ? { kind: 'address-invalid', provider, error } : { kind: 'permanent', provider, error };
    }
  }

  for (const code of [err.originalCode, err.code]) {
    if (code && TRANSIENT_CODES.has(code)) return { kind: 'transient', provider, error };
  }
  if (err.code && PERMANENT_CODES.has(err.code)) return { kind: 'permanent', provider, error };
  // An error we do not recognise is more likely a hiccup than a verdict on the message;
  // retries are bounded, a wrongly dropped message is not recoverable.
  return { kind: 'transient', provider, error };
}

function isBadRecipient(err: SmtpErrorLike, reply: number, recipients: number): boolean {
  // A refusal of the sender (MAIL FROM) or of our login says nothing about the recipient.
  const command = (err.command ?? '').toUpperCase();
  if (command.startsWith('MAIL') || command.startsWith('AUTH')) return false;
  const status = enhancedStatus(err.response);
  if (command === 'DATA') {
    // Relays that check recipients after the message (at the DATA command or at its end)
    // answer with the recipient status there. The enhanced code says whom it is about: X.1.x
    // (minus the sender's 5.1.7/5.1.8) is the recipient's address — certain only when the
    // transaction had one recipient. Anything else at DATA (5.7.1 policy, 5.3.4 size, a
    // bare 550) is about the content, not the address.
    return recipients === 1 && status !== undefined && ADDRESS_STATUS.test(status);
  }
  if (status) return ADDRESS_STATUS.test(status);
  if (reply === 551 || reply === 553) return true;
  return reply === 550 && UNKNOWN_USER_TEXT.test(err.response ?? '');
}

/** Extracts the enhanced status code following the reply code, e.g. `5.1.1` in `550 5.1.1 ...`. */
export function enhancedStatus(response: string | undefined): string | undefined {
  const match = /^\d{3}[ -](\d\.\d{1,3}\.\d{1,3})\b/.exec(response?.trim() ?? '');
  return match?.[1];
}

function describe(err: SmtpErrorLike): string {
  if (err.response) {
    const where = err.command ? ` (${err.command})` : '';
    return errorText(`${err.response}${where}`);
  }
  return errorText(Object.assign(new Error(err.message ?? 'SMTP error'), { code: err.originalCode ?? err.code }));
}
