/**
 * The fingerprint an Idempotency-Key is bound to (IETF draft "The Idempotency-Key HTTP Header
 * Field": the same key with a different payload is an error). It is the SHA-256 of the event's
 * canonical JSON — object keys sorted by UTF-16 code units, numbers and strings as ECMAScript's
 * JSON.stringify writes them, no white space (the JCS rules of RFC 8785) — so key order and
 * formatting do not count, but every value does. A batch item's own `idempotencyKey` is left out.
 */
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/** 128 bits of SHA-256 over the canonical JSON, base64url: enough to tell bodies apart, short in Redis. */
export function eventFingerprint(event: object): string {
  const { idempotencyKey: _key, ...rest } = event as { idempotencyKey?: unknown };
  return createHash('sha256').update(canonicalJson(rest)).digest().subarray(0, 16).toString('base64url');
}
