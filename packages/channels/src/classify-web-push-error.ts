/**
 * Classifies a failed Web Push delivery (RFC 8030) from the push service's HTTP status, or
 * from the network error when no answer came back.
 */
import type { SendOutcome } from './provider';
import { errorText } from './error-text';
import { DEFAULT_RETRY_AFTER_MS, parseRetryAfter } from './retry-after';
import { isOutboundPolicyError } from './outbound-agent';

/** The parts of a `WebPushError` (or a network error) that classification reads. */
export interface WebPushErrorLike {
  message?: string;
  code?: string;
  statusCode?: number;
  headers?: Record<string, string | string[] | undefined>;
  body?: string;
}

export function classifyWebPushError(provider: string, err: unknown): SendOutcome {
  // The endpoint leads somewhere the outbound policy forbids: the same answer every time, and
  // no verdict on the subscriber, so permanent and not address-invalid.
  if (isOutboundPolicyError(err)) return { kind: 'permanent', provider, error: err.message };
  const e = (err ?? {}) as WebPushErrorLike;
  const status = e.statusCode;
  if (typeof status !== 'number') {
    // No HTTP answer: connection refused/reset, DNS, TLS, socket timeout.
    return { kind: 'transient', provider, error: networkReason(e) };
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

/**
 * The reason recorded when no answer came. The endpoint is the caller's choice and the reason
 * is shown back to them, so it names a category, never the network error itself: the
 * difference between "refused", "reset" and a certificate error on some host:port is what a
 * port scan reads. The categories are still enough to tell a dead service from a bad setup.
 */
export function networkReason(err: WebPushErrorLike): string {
  const code = err.code ?? '';
  const message = err.message ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NODATA') {
    return "the push service's host name could not be resolved";
  }
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT' || /timeout|timed out/i.test(message)) return 'the push service did not answer in time';
  if (/CERT|SELF_SIGNED|UNABLE_TO_(?:GET|VERIFY)|ERR_TLS|ERR_SSL|HOSTNAME_MISMATCH|EPROTO/.test(code) || /certificate/i.test(message)) {
    return "the push service's TLS certificate could not be verified";
  }
  return 'the push service could not be reached';
}
