/**
 * The contract every channel provider meets: one outside system wrapped behind `send` and
 * `close`, and every delivery failure turned into a classified outcome the worker can act on
 * without knowing which system produced it.
 */
import type { Channel } from '@mc/core';

/**
 * What happened to one send. Every variant names the provider that produced it, so a
 * failover or rate-limit wrapper can pass the outcome through and the delivery row still
 * records who actually handled the message.
 */
export type SendOutcome =
  /** The provider accepted the message. */
  | { kind: 'sent'; provider: string; providerMessageId: string }
  /** Worth retrying with backoff: the provider or the path to it is unwell, not the message. */
  | { kind: 'transient'; provider: string; error: string; retryAfterMs?: number }
  /** The provider asked us to slow down; retry after the delay. */
  | { kind: 'rate-limited'; provider: string; error: string; retryAfterMs: number }
  /** The provider refused this message for good; retrying gets the same answer. */
  | { kind: 'permanent'; provider: string; error: string }
  /** The address does not exist (any more); never retry, and suppress the address. */
  | { kind: 'address-invalid'; provider: string; error: string }
  /**
   * Not attempted: the provider, or the remote the message is for, is on hold (a rate limit, a
   * Retry-After, an open circuit). Nothing was sent; the job waits `retryAfterMs` as a delayed
   * job and the wait does not count as an attempt.
   */
  | { kind: 'held'; provider: string; error: string; retryAfterMs: number };

export type SendOutcomeKind = SendOutcome['kind'];

export interface EmailMessage {
  from: string;
  to: string;
  replyTo?: string;
  subject: string;
  html: string;
  text: string;
  headers?: Record<string, string>;
  /**
   * The event this message delivers: it becomes the VERP envelope sender (when a bounce domain
   * is configured), part of the Message-ID and the `X-MessageCenter-Event` header. Absent for
   * proofs, which no bounce should act on.
   */
  eventId?: string;
}

export interface SmsMessage {
  /** E.164, e.g. `+33612345678`. */
  to: string;
  text: string;
}

export interface WebPushSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export type PushTarget =
  | { kind: 'web-push'; subscription: WebPushSubscription }
  | { kind: 'sns'; endpointArn: string };

export type PushUrgency = 'very-low' | 'low' | 'normal' | 'high';

export interface PushMessage {
  target: PushTarget;
  title: string;
  body: string;
  url?: string;
  icon?: string;
  data?: Record<string, unknown>;
  ttlSeconds?: number;
  urgency?: PushUrgency;
}

export interface Provider<M> {
  /** Recorded on every outcome and delivery row; also the rate-limit key. */
  readonly name: string;
  readonly channel: Channel;
  /** Resolves with a classified outcome; rejects only on a programmer error. */
  send(message: M): Promise<SendOutcome>;
  /** Releases connections and timers; safe to call more than once. */
  close(): Promise<void>;
}

/** True for outcomes the queue should retry (after `retryAfterMs` when given). */
export function isRetryable(outcome: SendOutcome): boolean {
  return outcome.kind === 'transient' || outcome.kind === 'rate-limited';
}
