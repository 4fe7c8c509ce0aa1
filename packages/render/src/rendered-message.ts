/**
 * A personalized message, ready for a channel provider. Every variant lists the variables
 * the template read but the event did not carry, for the worker's log.
 */
import type { SmsEncoding } from './sms-segments';

export interface RenderedEmail {
  channel: 'email';
  /** Single line: newlines from the data are collapsed so they cannot inject headers. */
  subject: string;
  html: string;
  text: string;
  from?: string;
  replyTo?: string;
  missingVariables: string[];
}

export interface RenderedSms {
  channel: 'sms';
  text: string;
  segments: number;
  encoding: SmsEncoding;
  missingVariables: string[];
}

export interface RenderedPush {
  channel: 'push';
  title: string;
  body: string;
  url?: string;
  icon?: string;
  data?: Record<string, unknown>;
  /** UTF-8 size of the JSON payload (see buildPushPayload). */
  payloadBytes: number;
  missingVariables: string[];
}

export type RenderedMessage = RenderedEmail | RenderedSms | RenderedPush;

export interface RenderedMessageByChannel {
  email: RenderedEmail;
  sms: RenderedSms;
  push: RenderedPush;
}

/** A variable a field read that the data did not hold: `{ field: 'subject', name: 'ctx.firstName' }`. */
export interface MissingVariable {
  field: string;
  name: string;
}

/** A render with the per-field detail preview needs; the worker only takes the message. */
export interface RenderOutcome<M extends RenderedMessage = RenderedMessage> {
  message: M;
  missing: MissingVariable[];
}

/** The distinct names, in first-seen order, for `missingVariables`. */
export function missingNames(missing: readonly MissingVariable[]): string[] {
  return [...new Set(missing.map((m) => m.name))];
}
