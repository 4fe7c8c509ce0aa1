/**
 * Reads a SOAP 1.1 request safely: refuses DTDs before any parsing (billion laughs, XXE),
 * bounds the element count and the nesting depth, reports malformed XML with line and column,
 * and yields a small namespace-resolved element tree whose text is entity-decoded — so the rest
 * of the layer matches elements by local name and namespace whatever prefixes the client chose.
 */
import { SaxesParser } from 'saxes';
import { clientFault, READ_FAULT_STRING, SoapFault } from './faults';

export const SOAP11_ENVELOPE_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_ENVELOPE_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** Envelope + Body + method + collection + wrapper + event + ctx leave ~56 levels to ctx data. */
export const MAX_DEPTH = 64;
/** Far above 1,000 events with a rich ctx; bounds the work a body can cause. */
export const MAX_ELEMENTS = 200_000;

export interface XmlAttribute {
  local: string;
  /** Namespace URI; '' for an unprefixed attribute (attributes do not take the default namespace). */
  ns: string;
  value: string;
}

export interface XmlElement {
  /** The name as written, prefix included. */
  qname: string;
  local: string;
  /** Namespace URI; '' when none (or when the prefix was never declared — we are lenient there). */
  ns: string;
  /** Without the xmlns declarations, which are consumed into namespace resolution. */
  attrs: XmlAttribute[];
  /** Child elements and entity-decoded text in document order; whitespace-only text is dropped. */
  children: (XmlElement | string)[];
}

export interface ParseLimits {
  maxDepth: number;
  maxElements: number;
}

/**
 * What saxes binds an undeclared prefix to (through `resolvePrefix`), read back as ''. Some
 * hand-written clients use `urn:` without declaring it; saxes would refuse that, we tolerate
 * it as before. U+0000 cannot occur in XML, so no declared namespace can equal it.
 */
const UNDECLARED = '\u0000';

/**
 * ctx-mapping turns local names into JSON keys; these three can reach an object's prototype in
 * code that copies ctx carelessly, and no Adobe payload needs them.
 */
const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const NOT_BLANK = /\S/;

/**
 * Parses a whole request body into its root element. saxes checks well-formedness, decodes the
 * five predefined entities and character references (any other entity is an error: there is
 * no DTD), normalises attribute whitespace and resolves namespaces; we build the tree from its
 * events and enforce the limits as elements open, so an oversized body is abandoned early.
 * @throws SoapFault (Client) for anything the caller must fix.
 */
export function parseXmlDocument(text: string, limits: ParseLimits = { maxDepth: MAX_DEPTH, maxElements: MAX_ELEMENTS }): XmlElement {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw clientFault(READ_FAULT_STRING, 'The request body is empty.');

  refuseDtd(body);

  const parser = new SaxesParser({ xmlns: true, position: true, resolvePrefix: () => UNDECLARED });
  const open: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;

  // Throwing from a handler stops saxes on the spot: the first error is the one reported.
  parser.on('error', (error) => {
    throw malformed(error.message, parser.line, parser.column, body, parser.position);
  });
  parser.on('opentag', (tag) => {
    if (++elements > limits.maxElements) {
      throw clientFault(READ_FAULT_STRING, `The request has more than ${limits.maxElements} elements.`);
    }
    if (open.length >= limits.maxDepth) {
      throw clientFault(READ_FAULT_STRING, `Elements are nested deeper than ${limits.maxDepth} levels.`);
    }
    refuseReservedName(tag.local);
    const attrs: XmlAttribute[] = [];
    for (const attr of Object.values(tag.attributes)) {
      if (attr.uri === XMLNS_NS) continue; // a declaration, already applied by saxes
      refuseReservedName(attr.local);
      attrs.push({ local: attr.local, ns: attr.uri === UNDECLARED ? '' : attr.uri, value: attr.value });
    }
    const element: XmlElement = {
      qname: tag.name,
      local: tag.local,
      ns: tag.uri === UNDECLARED ? '' : tag.uri,
      attrs,
      children: [],
    };
    if (open.length === 0) root = element;
    else open[open.length - 1]!.children.push(element);
    open.push(element);
  });
  parser.on('closetag', () => {
    open.pop();
  });
  // Outside the root only whitespace can come (saxes refuses the rest).
  parser.on('text', (chunk) => {
    if (open.length > 0 && NOT_BLANK.test(chunk)) open[open.length - 1]!.children.push(chunk);
  });
  parser.on('cdata', (chunk) => {
    open[open.length - 1]?.children.push(chunk);
  });

  parser.write(body).close();
  // close() has failed (and thrown) unless exactly one root element was read.
  return root!;
}

/**
 * A DTD is the only way to define entities (billion laughs) or pull external resources (XXE);
 * SOAP 1.1 forbids it in messages anyway. Refused on sight, before the parser sees the body.
 * Inside CDATA, the text is data and allowed. One forward pass that jumps over CDATA sections:
 * looking back for the enclosing section at each match was quadratic (a 1 MB CDATA full of
 * "<!DOCTYPE" took over a minute).
 */
function refuseDtd(body: string): void {
  const pattern = /<!(?:DOCTYPE|ENTITY|\[CDATA\[)/gi;
  for (let match = pattern.exec(body); match !== null; match = pattern.exec(body)) {
    if (match[0] === '<![CDATA[') {
      const end = body.indexOf(']]>', pattern.lastIndex);
      if (end === -1) return; // data to the end; the parser refuses the unclosed section
      pattern.lastIndex = end + 3;
    } else if (match[0][2] !== '[') {
      // (a miscased "<![cdata[" is no CDATA, and no DTD either: the parser refuses it)
      throw clientFault(READ_FAULT_STRING, 'A DOCTYPE or ENTITY declaration is not allowed in a SOAP message.');
    }
  }
}

function refuseReservedName(local: string): void {
  if (RESERVED_NAMES.has(local)) {
    throw clientFault(READ_FAULT_STRING, `The name "${local}" is not allowed for an element or attribute.`);
  }
}

/** saxes's message is "line:column: reason"; `position` is just past where it stopped. */
function malformed(message: string, line: number, column: number, body: string, position: number): SoapFault {
  // saxes reads from '&' up to the next ';', so an unescaped '&' ("fish & chips", a URL's query)
  // surfaces later as another error, often an unclosed tag at the very end: point at the '&'.
  const amp = strayAmpersand(body, position);
  if (amp !== -1) {
    const at = `line ${countLines(body, amp)}, column ${amp - body.lastIndexOf('\n', amp - 1)}`;
    return clientFault(READ_FAULT_STRING, `Malformed XML at ${at}: '&' starts no entity or character reference (write '&amp;').`);
  }
  // The marker can show in a message ("duplicate attribute: {\0}x") and is not valid in XML.
  const reason = message.slice(message.indexOf(': ') + 2).replace(/\u0000/g, '');
  const where = `line ${line}, column ${column}`;
  if (reason === 'undefined entity.' || reason === 'malformed character entity.') {
    // saxes does not say which reference: it is the one that ends just before `position`.
    const whole = body.slice(body.lastIndexOf('&', position - 1), position);
    const ref = whole.length <= 64 ? whole : `${whole.slice(0, 60)}…`; // a name may be any length
    return clientFault(
      READ_FAULT_STRING,
      reason === 'undefined entity.'
        ? `Undefined entity '${ref}' at ${where} (only XML's predefined entities are allowed).`
        : `Invalid character reference '${ref}' at ${where}.`,
    );
  }
  return clientFault(READ_FAULT_STRING, `Malformed XML at ${where}: ${reason}`);
}

/** Where the sections whose content is plain data ('&' included) end. */
const DATA_SECTION_END: Readonly<Record<string, string>> = { '<![CDATA[': ']]>', '<!--': '-->', '<?': '?>' };

/** The first '&' before `end` that starts no reference, outside those sections; -1 if none. */
function strayAmpersand(body: string, end: number): number {
  const pattern = /<!\[CDATA\[|<!--|<\?|&(?!(?:[A-Za-z_:][\w.:-]*|#[0-9]+|#x[0-9a-fA-F]+);)/g;
  for (let match = pattern.exec(body); match !== null && match.index < end; match = pattern.exec(body)) {
    if (match[0] === '&') return match.index;
    const close = DATA_SECTION_END[match[0]]!;
    const after = body.indexOf(close, pattern.lastIndex);
    if (after === -1) break;
    pattern.lastIndex = after + close.length;
  }
  return -1;
}

function countLines(text: string, end: number): number {
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}

// ---- small helpers the rest of the layer reads the tree with ----

export function childElements(element: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (const child of element.children) if (typeof child !== 'string') out.push(child);
  return out;
}

/** The element's text content (its own text nodes, not its descendants'), trimmed. */
export function ownText(element: XmlElement): string {
  let text = '';
  for (const child of element.children) if (typeof child === 'string') text += child;
  return text.trim();
}

/** The first child element with this local name, compared case-insensitively (clients vary). */
export function findChild(element: XmlElement, local: string): XmlElement | undefined {
  const wanted = local.toLowerCase();
  for (const child of element.children) {
    if (typeof child !== 'string' && child.local.toLowerCase() === wanted) return child;
  }
  return undefined;
}

/** An unqualified attribute's value (or any-namespace one except xsi:), undefined when absent. */
export function attribute(element: XmlElement, local: string): string | undefined {
  for (const attr of element.attrs) if (attr.local === local && attr.ns !== XSI_NS) return attr.value;
  return undefined;
}

export interface SoapBody {
  envelope: XmlElement;
  /** The first element of the Body: the method call (`PushEvent`, `PushEvents`). */
  call: XmlElement;
}

/**
 * Parses a request and checks it is a SOAP 1.1 envelope with a call in its Body.
 * @throws SoapFault — VersionMismatch for a SOAP 1.2 envelope, Client for anything else wrong.
 */
export function parseSoapEnvelope(text: string, limits?: ParseLimits): SoapBody {
  const envelope = parseXmlDocument(text, limits);
  if (envelope.local !== 'Envelope' || (envelope.ns !== SOAP11_ENVELOPE_NS && envelope.ns !== SOAP12_ENVELOPE_NS)) {
    throw clientFault(READ_FAULT_STRING, `The root element must be a SOAP 1.1 Envelope (namespace ${SOAP11_ENVELOPE_NS}).`);
  }
  if (envelope.ns === SOAP12_ENVELOPE_NS) {
    throw new SoapFault(
      'VersionMismatch',
      READ_FAULT_STRING,
      `SOAP 1.2 envelopes are not supported; use SOAP 1.1 (namespace ${SOAP11_ENVELOPE_NS}).`,
    );
  }
  // Header blocks are ignored, as Adobe does (it reads the session token from the call).
  const body = childElements(envelope).find((c) => c.local === 'Body' && c.ns === SOAP11_ENVELOPE_NS);
  if (!body) throw clientFault(READ_FAULT_STRING, 'The SOAP Envelope has no Body.');
  const call = childElements(body)[0];
  if (!call) throw clientFault(READ_FAULT_STRING, 'The SOAP Body is empty: expected PushEvent or PushEvents.');
  return { envelope, call };
}
