/**
 * Escaping for the XML this layer writes (responses, faults, WSDL). Everything that comes from
 * a request — a namespace echoed back, a Host header, an error detail — goes through here.
 */

// XML 1.0 cannot carry these at all, not even as character references.
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Element content: apostrophes and quotes stay readable ("method 'PushEvent'"). */
export function escapeText(value: string): string {
  return value.replace(NOT_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A double-quoted attribute value. */
export function escapeAttribute(value: string): string {
  return escapeText(value).replace(/"/g, '&quot;');
}
