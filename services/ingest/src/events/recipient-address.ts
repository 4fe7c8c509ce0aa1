import { normalizePhone } from '@mc/core';

/**
 * A recipient as the worker stores it in `events.recipient` (suppressionAddress of the address
 * it sent to): an email lower-cased, a phone number without its separators, a push endpoint or
 * SNS ARN as given. The list query names no channel, so the address's form tells which.
 */
export function recipientAddress(address: string): string {
  const trimmed = address.trim();
  if (/^[^\s@/:]+@[^\s@/]+$/.test(trimmed)) return trimmed.toLowerCase();
  if (/^\+?[\d\s\-.()]+$/.test(trimmed)) return normalizePhone(trimmed);
  return trimmed;
}
