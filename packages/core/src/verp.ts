/**
 * VERP (variable envelope return path) addresses for bounces: each message's envelope sender
 * is `bounces+<eventId>-<mac>@<bounce domain>`, so a bounce names the event it is about. The
 * mac (HMAC-SHA256 of the event id with VERP_SECRET, lower-case hex, first 16 characters)
 * means only we can mint such an address: a forged bounce cannot suppress an arbitrary
 * recipient by naming some event id.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface VerpSettings {
  /** The domain whose MX points at our bounce listener (BOUNCE_DOMAIN). */
  domain: string;
  /** The HMAC key (VERP_SECRET). */
  secret: string;
}

const LOCAL_PREFIX = 'bounces+';
const MAC_LENGTH = 16;

export function verpMac(eventId: string, secret: string): string {
  return createHmac('sha256', secret).update(eventId).digest('hex').slice(0, MAC_LENGTH);
}

/** The envelope sender for one event's message. */
export function verpAddress(eventId: string, settings: VerpSettings): string {
  return `${LOCAL_PREFIX}${eventId}-${verpMac(eventId, settings.secret)}@${settings.domain.toLowerCase()}`;
}

export type VerpVerdict =
  /** A VERP address of ours whose mac verifies. */
  | { kind: 'verified'; eventId: string }
  /** Shaped like one of ours, but the mac is wrong: forged or mangled. */
  | { kind: 'forged'; address: string }
  /** Not a VERP address of this domain at all. */
  | { kind: 'other' };

/**
 * Judges an address (angle brackets and a display name tolerated). Domain and prefix compare
 * case-insensitively, as MTAs may change case; the mac compares in constant time.
 */
export function verifyVerpAddress(raw: string, settings: VerpSettings): VerpVerdict {
  const address = (/<([^<>]*)>/.exec(raw)?.[1] ?? raw).trim().toLowerCase();
  const at = address.lastIndexOf('@');
  if (at < 0 || address.slice(at + 1) !== settings.domain.toLowerCase()) return { kind: 'other' };
  const local = address.slice(0, at);
  if (!local.startsWith(LOCAL_PREFIX)) return { kind: 'other' };
  const match = /^(\d{1,20})-([0-9a-f]+)$/.exec(local.slice(LOCAL_PREFIX.length));
  if (!match) return { kind: 'forged', address };
  const [, eventId, mac] = match as unknown as [string, string, string];
  const expected = Buffer.from(verpMac(eventId, settings.secret));
  const given = Buffer.from(mac);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { kind: 'forged', address };
  return { kind: 'verified', eventId };
}
