/** Address checks used for targeting. Deliberately pragmatic: the provider has the last word. */

// One @, no spaces or angle brackets, a dot in the domain, sane lengths (RFC 5321 limits).
const EMAIL = /^[^\s@<>()[\]\\,;:"]{1,64}@(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function isValidEmail(address: string): boolean {
  return EMAIL.test(address);
}

/** E.164: a plus, a non-zero country digit, 7 to 15 digits in all. */
export function isValidPhone(number: string): boolean {
  return /^\+[1-9]\d{6,14}$/.test(number);
}

/** Strips the spaces, dashes, dots and brackets people write phone numbers with. */
export function normalizePhone(number: string): string {
  return number.replace(/[\s\-.()]/g, '');
}
