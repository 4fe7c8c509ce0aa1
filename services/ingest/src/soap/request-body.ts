/**
 * Turns the raw request bytes into text, piece by piece as they arrive. Older Adobe
 * integrations (PHP, Java 1.4-era) post ISO-8859-1 and say so in the Content-Type charset or
 * the XML declaration, so both are honoured; anything else is refused rather than mis-decoded.
 * UTF-8 is decoded strictly: bytes that are not UTF-8 are a malformed document (XML 1.0 §4.3.3),
 * not text to replace with U+FFFD behind the caller's back.
 */
import { TextDecoder } from 'node:util';
import { clientFault, READ_FAULT_STRING } from './faults';

export const XML_CONTENT_TYPES = ['text/xml', 'application/soap+xml', 'application/xml'];

const ENCODINGS: Readonly<Record<string, 'utf8' | 'latin1'>> = {
  'utf-8': 'utf8',
  utf8: 'utf8',
  'iso-8859-1': 'latin1',
  iso8859_1: 'latin1',
  'iso8859-1': 'latin1',
  latin1: 'latin1',
  'us-ascii': 'latin1', // ASCII is a subset of both; latin1 never throws on stray bytes
  ascii: 'latin1',
};

/** Only the start of the document can hold the XML declaration. */
const DECLARATION_BYTES = 200;

/** Decodes a body written to it in pieces; `write` and `end` return the text decoded so far. */
export class BodyDecoder {
  private encoding: 'utf8' | 'latin1' | undefined;
  private utf8: TextDecoder | undefined;
  private head: Buffer[] = [];
  private headLength = 0;
  private bytes = 0;

  /** @throws SoapFault when the Content-Type names a charset we do not read. */
  constructor(contentType: string | undefined) {
    const declared = /;\s*charset\s*=\s*"?([\w.:-]+)"?/i.exec(contentType ?? '')?.[1];
    if (declared !== undefined) this.choose(declared);
  }

  write(piece: Buffer): string {
    if (this.encoding === undefined) {
      // Wait for enough bytes to read the XML declaration, if there is one.
      this.head.push(piece);
      this.headLength += piece.length;
      if (this.headLength < DECLARATION_BYTES) return '';
      return this.flushHead();
    }
    return this.decode(piece, true);
  }

  end(): string {
    const text = this.encoding === undefined ? this.flushHead() : '';
    return text + this.decode(Buffer.alloc(0), false);
  }

  private flushHead(): string {
    const head = Buffer.concat(this.head, this.headLength);
    this.head = [];
    const declared = /^(?:\u00EF\u00BB\u00BF)?<\?xml[^>]*\sencoding\s*=\s*["']([\w.:-]+)["']/.exec(
      head.subarray(0, DECLARATION_BYTES).toString('latin1'),
    )?.[1];
    this.choose(declared ?? 'utf-8');
    return this.decode(head, true);
  }

  private choose(charset: string): void {
    const encoding = ENCODINGS[charset.toLowerCase()];
    if (encoding === undefined) {
      throw clientFault(READ_FAULT_STRING, `Unsupported charset "${charset}": send UTF-8 (or ISO-8859-1).`);
    }
    this.encoding = encoding;
    // ignoreBOM: the BOM stays in the text, where the XML parser expects and drops it.
    if (encoding === 'utf8') this.utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  }

  private decode(piece: Buffer, more: boolean): string {
    const offset = this.bytes;
    this.bytes += piece.length;
    if (this.utf8 === undefined) return piece.toString('latin1');
    try {
      return this.utf8.decode(piece, { stream: more });
    } catch {
      throw clientFault(
        READ_FAULT_STRING,
        `The request body is not valid UTF-8 (bytes ${offset}–${this.bytes}): send UTF-8, or declare ISO-8859-1 in the Content-Type or the XML declaration.`,
      );
    }
  }
}

/** A whole body at once (see BodyDecoder). */
export function decodeRequestBody(raw: Buffer, contentType: string | undefined): string {
  const decoder = new BodyDecoder(contentType);
  return decoder.write(raw) + decoder.end();
}
