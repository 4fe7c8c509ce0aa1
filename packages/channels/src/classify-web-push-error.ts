/**
 * Classifies a failed Web Push delivery (RFC 8030) from the push service's HTTP status, or
 * from the network error when no answer came back.
 */
import type { SendOutcome } from './provider';
import { errorText } from './error-text';
import { DEFAULT_RETRY_AFTER_MS, parseRetryAfter } from './retry-after';

/** The parts of a `WebPushError` (or a network error) that classification reads. */
export interface WebPushErrorLike {
  message?: string;
  code?: string;
  statusCode?: number;
  headers?: Record<string, string | string[] | undefined>;
  body?: string;
}

export function classifyWebPushError(provider: string, err: unknown): SendOutcome {
  const e = (err ?? {}) as WebPushErrorLike;
  const status = e.statusCode;
  if (typeof status !== 'number') {
    // No HTTP answer: connection refused/reset, DNS, TLS, socket timeout.
    return { kind: 'transient', provider, error: errorText(err) };
  }
  const error = describe(status, e.body);
  const retryAfterMs = parseRetryAfter(e.headers?.['retry-after']);
  // 404/410: the browser unsubscribed or the subscription expired; it will never come back.
  if (status === 404 || status === 410) return { kind: 'address-invalid', provider, error };
  if (status === 429) return { kind: 'rate-limited', provider, error, retryAfterMs: retryAfterMs ?? DEFAULT_RETRY_AFTER_MS };
  if (status >= 500 || status === 408) {
    return retryAfterMs === undefined ? { kind: 'transient', provider, error } : { kind: 'transient', provider, error, retryAfterMs };
  }
  // 413 (payload too large), 400 (malformed), 401/403 (VAPID refused) and the rest of 4xx:
  // the same request gets the same answer.
  return { kind: 'permanent', provider, error };
}

function describe(status: number, body: string | undefined): string {
  const detail = body?.trim();
  return errorText(detail ? `push service answered ${status}: ${detail}` : `push service answered ${status}`);
}
