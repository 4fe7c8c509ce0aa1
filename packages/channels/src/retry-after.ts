/**
 * Reads an HTTP `Retry-After` value (delta-seconds or an HTTP date, RFC 9110 §10.2.3) as a
 * delay in milliseconds. Push services and AWS both send it with 429/503 answers.
 */

/** Used when a provider says "slow down" without saying for how long. */
export const DEFAULT_RETRY_AFTER_MS = 1000;

/** Never wait longer than this on a provider's word: a bad header must not park a job for days. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

export function parseRetryAfter(
  value: string | readonly string[] | number | undefined | null,
  now: number = Date.now(),
): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw === null) return undefined;
  const text = String(raw).trim();
  if (text === '') return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) {
    ms = Math.ceil(Number(text) * 1000);
  } else {
    // An HTTP-date always has a weekday or month name; this keeps Date.parse from reading '-5' as a year.
    if (!/[A-Za-z]/.test(text)) return undefined;
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
