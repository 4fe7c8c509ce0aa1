/**
 * Turns the raw request bytes into text. Fastify's string parsing assumes UTF-8; older Adobe
 * integrations (PHP, Java 1.4-era) post ISO-8859-1 and say so in the Content-Type charset or
 * the XML declaration, so both are honoured. Anything else is refused rather than mis-decoded.
 */
import { clientFault, READ_FAULT_STRING } from './faults';

export const XML_CONTENT_TYPES = ['text/xml', 'application/soap+xml', 'application/xml'];

const ENCODINGS: Readonly<Record<string, BufferEncoding>> = {
  'utf-8': 'utf8',
  utf8: 'utf8',
  'iso-8859-1': 'latin1',
  iso8859_1: 'latin1',
  'iso8859-1': 'latin1',
  latin1: 'latin1',
  'us-ascii': 'latin1', // ASCII is a subset of both; latin1 never throws on stray bytes
  ascii: 'latin1',
};

export function decodeRequestBody(raw: Buffer, contentType: string | undefined): string {
  const declared =
    /;\s*charset\s*=\s*"?([\w.:-]+)"?/i.exec(contentType ?? '')?.[1] ??
    // Only the start of the document can hold the declaration; latin1 reads it safely.
    /^(?:\u00EF\u00BB\u00BF)?<\?xml[^>]*\sencoding\s*=\s*["']([\w.:-]+)["']/.exec(raw.subarray(0, 200).toString('latin1'))?.[1];
  const encoding = declared === undefined ? 'utf8' : ENCODINGS[declared.toLowerCase()];
  if (encoding === undefined) {
    throw clientFault(READ_FAULT_STRING, `Unsupported charset "${declared}": send UTF-8 (or ISO-8859-1).`);
  }
  return raw.toString(encoding);
}
