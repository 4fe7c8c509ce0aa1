/**
 * Address rules: what the REST door refuses with 400 and what the worker ends `targetingFailed`
 * (SOAP events, accepted as Adobe does, are judged by the same rules later). One rule for both,
 * so an event the door accepts is never refused by the worker for its address.
 *
 * Email — a documented rule, not a full RFC 5322 parser:
 * - `local@domain`, split at the last `@`; at most 254 characters in all (RFC 5321 §4.5.3.1.3).
 * - local part: a dot-atom (RFC 5322 §3.2.3) of atext, which RFC 6532 §3.2 extends with any
 *   non-ASCII character (internationalized addresses, SMTPUTF8); at most 64 octets of UTF-8;
 *   no leading, trailing or doubled dot. Quoted local parts (`"a b"@x`) are refused: providers
 *   and the HTML spec refuse them too. Control characters and white space are refused.
 * - domain: converted to ASCII with IDNA (UTS #46, node's `url.domainToASCII`, the WHATWG URL
 *   algorithm), so `bücher.de` and `例え.テスト` pass; then at least two labels of letters,
 *   digits and hyphens (RFC 1035 / RFC 5890 LDH), 1–63 octets each, no hyphen at either end,
 *   253 octets in all, and a top-level label that is not all digits. Address literals
 *   (`[192.0.2.1]`) are refused.
 *
 * Phone — E.164 through libphonenumber-js: after removing the separators people write (spaces,
 * dashes, dots, brackets) it must be `+` and 7–15 digits without a leading zero, for a country
 * calling code that exists, of a length possible in that country (`isPossible()`: digit-pattern
 * validity, `isValid()`, goes stale as numbering plans change; the provider has the last word).
 */
import { domainToASCII } from 'node:url';
import { parsePhoneNumberFromString } from 'libphonenumber-js';

const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10FFFF}]+$/u;
/** Control characters, white space of any script, lone surrogates: never part of an address. */
const FORBIDDEN = /[\p{Cc}\p{Z}\p{Cs}\u200B\uFEFF]/u;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/**
 * Two or more lowercase letter-digit-hyphen labels, the last with a letter and not `0x…`: the
 * domain of nearly every address. IDNA maps such a domain to itself — nothing to map or
 * lowercase, no Punycode label (`xn--`, excluded below) to check, and a last label that the URL
 * host parser cannot read as an IPv4 number — so it skips the conversion (a native call that
 * was a fifth of the batch intake's own time).
 */
const PLAIN_DOMAIN = /^(?:[a-z0-9-]+\.)+(?!0x)[a-z0-9-]*[a-z][a-z0-9-]*$/;

/** The domain in ASCII (IDNA, UTS #46 as the WHATWG URL standard applies it); '' when it is not valid. */
export function asciiDomain(domain: string): string {
  return PLAIN_DOMAIN.test(domain) && !domain.includes('xn--') ? domain : domainToASCII(domain);
}

/** Why `address` is not an email address this service can send to, or undefined when it is. */
export function emailProblem(address: string): string | undefined {
  if (address.length === 0) return 'is empty';
  if (address.length > 254) return 'is longer than 254 characters';
  if (FORBIDDEN.test(address)) return 'contains white space or control characters';
  const at = address.lastIndexOf('@');
  if (at < 0) return 'has no @';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length === 0) return 'has nothing before the @';
  if (Buffer.byteLength(local, 'utf8') > 64) return 'has a local part longer than 64 octets';
  if (local.split('.').some((atom) => !ATEXT.test(atom))) {
    return local.includes('..') || local.startsWith('.') || local.endsWith('.')
      ? 'has a misplaced dot in the local part'
      : 'has a character not allowed in the local part';
  }
  if (domain.length === 0) return 'has no domain';
  if (domain.startsWith('[')) return 'has an address literal as domain (not accepted)';
  const ascii = asciiDomain(domain);
  if (ascii === '') return 'has a domain that is not a valid (internationalized) domain name';
  if (ascii.length > 253) return 'has a domain longer than 253 octets';
  const labels = ascii.split('.');
  if (labels.length < 2) return 'has a domain without a dot';
  if (!labels.every((label) => LABEL.test(label))) return 'has a domain label that is empty or has characters outside letters, digits and hyphens';
  if (/^\d+$/.test(labels[labels.length - 1]!)) return 'has a numeric top-level domain';
  return undefined;
}

export function isValidEmail(address: string): boolean {
  return emailProblem(address) === undefined;
}

/** Why `number` is not an E.164 phone number, or undefined when it is (see the module comment). */
export function phoneProblem(number: string): string | undefined {
  const normalized = normalizePhone(number);
  if (!/^\+[1-9]\d{6,14}$/.test(normalized)) return 'is not an E.164 phone number (a + and 7 to 15 digits, e.g. +46701234567)';
  const parsed = parsePhoneNumberFromString(normalized);
  if (!parsed) return 'has a country calling code that does not exist';
  if (!parsed.isPossible()) return `has a length not possible for country code +${parsed.countryCallingCode}`;
  return undefined;
}

/** E.164 (after normalizePhone) with a real country code and a possible length. */
export function isValidPhone(number: string): boolean {
  return phoneProblem(number) === undefined;
}

/** Strips the spaces, dashes, dots and brackets people write phone numbers with. */
export function normalizePhone(number: string): string {
  return number.replace(/[\s\-.()]/g, '');
}

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** Bytes of a base64url string (padding tolerated, as browsers' toJSON never pads), or undefined. */
function base64urlBytes(text: string): Buffer | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const bare = text.replace(/=+$/, '');
  if (bare.length % 4 === 1) return undefined;
  return Buffer.from(bare, 'base64url');
}

/**
 * Faults of a Web Push subscription (RFC 8030 endpoint, RFC 8291 keys), by path relative to
 * the subscription: an https endpoint URL with a host, `keys.p256dh` the base64url of a 65-byte
 * uncompressed P-256 point (0x04 first), `keys.auth` the base64url of 16 bytes.
 */
export function webPushSubscriptionProblems(subscription: {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  let url: URL | undefined;
  try {
    url = new URL(subscription.endpoint);
  } catch {
    problems.push({ path: '/endpoint', message: 'is not a URL' });
  }
  if (url && url.protocol !== 'https:') problems.push({ path: '/endpoint', message: 'must be an https URL' });
  else if (url && (url.hostname === '' || url.username !== '' || url.password !== '')) {
    problems.push({ path: '/endpoint', message: 'must name a host and carry no credentials' });
  }
  const p256dh = base64urlBytes(subscription.keys.p256dh);
  if (!p256dh) problems.push({ path: '/keys/p256dh', message: 'is not base64url' });
  else if (p256dh.length !== 65 || p256dh[0] !== 0x04) {
    problems.push({ path: '/keys/p256dh', message: `must be an uncompressed P-256 public key (65 bytes starting 0x04), got ${p256dh.length} bytes` });
  }
  const auth = base64urlBytes(subscription.keys.auth);
  if (!auth) problems.push({ path: '/keys/auth', message: 'is not base64url' });
  else if (auth.length !== 16) problems.push({ path: '/keys/auth', message: `must be 16 bytes, got ${auth.length}` });
  return problems;
}

/**
 * An SNS platform endpoint ARN: `arn:<partition>:sns:<region>:<12-digit account>:endpoint/<platform>/<application>/<endpoint id>`
 * (the ARN CreatePlatformEndpoint returns).
 */
const SNS_ENDPOINT_ARN = /^arn:aws(?:-[a-z]+)*:sns:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:endpoint\/[A-Za-z0-9_]+\/[A-Za-z0-9_.-]{1,256}\/[A-Za-z0-9-]{1,64}$/;

export function snsEndpointArnProblem(arn: string): string | undefined {
  return SNS_ENDPOINT_ARN.test(arn)
    ? undefined
    : 'is not an SNS platform endpoint ARN (arn:aws:sns:<region>:<account>:endpoint/<platform>/<app>/<id>)';
}
