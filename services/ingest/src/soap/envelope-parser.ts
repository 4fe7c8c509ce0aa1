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
/**
 * Attributes on one element, xmlns declarations included. An rtEvent has about ten; a ctx
 * element rarely more than a few dozen. Counted as saxes reads them, so a tag with 200,000
 * declarations stops at the 257th instead of being collected (and namespace-resolved) whole.
 */
export const MAX_ATTRIBUTES_PER_ELEMENT = 256;
/**
 * Attributes in the whole request, declarations included: a 1,000-event PushEvents with ten
 * attributes per event and forty in its ctx stays far below.
 */
export const MAX_ATTRIBUTES = 100_000;

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
  maxAttributesPerElement: number;
  maxAttributes: number;
}

export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = {
  maxDepth: MAX_DEPTH,
  maxElements: MAX_ELEMENTS,
  maxAttributesPerElement: MAX_ATTRIBUTES_PER_ELEMENT,
  maxAttributes: MAX_ATTRIBUTES,
};

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

/** Called as the tree grows; `depth` is 1 for the root. A hook may throw a SoapFault to stop. */
export interface TreeHooks {
  open?(element: XmlElement, parent: XmlElement | undefined, depth: number): void;
  close?(element: XmlElement, parent: XmlElement | undefined, depth: number): void;
}

/**
 * Builds the element tree from text written piece by piece (a request body as it arrives).
 * saxes checks well-formedness, decodes the five predefined entities and character references
 * (any other entity is an error: there is no DTD), normalises attribute whitespace and resolves
 * namespaces; we build the tree from its events and enforce the limits as elements and
 * attributes are read, so an oversized body is abandoned early. Every method throws a
 * SoapFault (Client) for anything the caller must fix; after a throw the parser is spent.
 */
export class XmlTreeParser {
  private readonly parser = new SaxesParser({ xmlns: true, position: true, resolvePrefix: () => UNDECLARED });
  private readonly limits: ParseLimits;
  private readonly open: XmlElement[] = [];
  private readonly dtd = new DtdScanner();
  /** What saxes was given, for the error messages that point back into the text. */
  private readonly seen: string[] = [];
  private root: XmlElement | undefined;
  private elements = 0;
  private attributes = 0;
  private attributesHere = 0;
  private started = false;
  private nonBlank = false;

  constructor(limits: Partial<ParseLimits> = {}, hooks: TreeHooks = {}) {
    const max = (this.limits = { ...DEFAULT_PARSE_LIMITS, ...limits });
    const parser = this.parser;
    // Throwing from a handler stops saxes on the spot: the first error is the one reported.
    parser.on('error', (error) => {
      throw malformed(error.message, parser.line, parser.column, this.seen.join(''), parser.position);
    });
    parser.on('opentagstart', () => {
      this.attributesHere = 0;
    });
    parser.on('attribute', (attr) => {
      if (++this.attributesHere > max.maxAttributesPerElement) {
        throw clientFault(READ_FAULT_STRING, `An element has more than ${max.maxAttributesPerElement} attributes (the limit per element, xmlns declarations included).`);
      }
      if (++this.attributes > max.maxAttributes) {
        throw clientFault(READ_FAULT_STRING, `The request has more than ${max.maxAttributes} attributes (the limit per request, xmlns declarations included).`);
      }
      refuseReservedName((attr as { local?: string }).local ?? attr.name);
    });
    parser.on('opentag', (tag) => {
      if (++this.elements > max.maxElements) {
        throw clientFault(READ_FAULT_STRING, `The request has more than ${max.maxElements} elements.`);
      }
      if (this.open.length >= max.maxDepth) {
        throw clientFault(READ_FAULT_STRING, `Elements are nested deeper than ${max.maxDepth} levels.`);
      }
      refuseReservedName(tag.local);
      const attrs: XmlAttribute[] = [];
      for (const attr of Object.values(tag.attributes)) {
        if (attr.uri === XMLNS_NS) continue; // a declaration, already applied by saxes
        attrs.push({ local: attr.local, ns: attr.uri === UNDECLARED ? '' : attr.uri, value: attr.value });
      }
      const element: XmlElement = {
        qname: tag.name,
        local: tag.local,
        ns: tag.uri === UNDECLARED ? '' : tag.uri,
        attrs,
        children: [],
      };
      const parent = this.open[this.open.length - 1];
      if (parent === undefined) this.root = element;
      else parent.children.push(element);
      this.open.push(element);
      hooks.open?.(element, parent, this.open.length);
    });
    parser.on('closetag', () => {
      const depth = this.open.length;
      const element = this.open.pop();
      if (element) hooks.close?.(element, this.open[this.open.length - 1], depth);
    });
    // Outside the root only whitespace can come (saxes refuses the rest).
    parser.on('text', (chunk) => {
      if (this.open.length > 0 && NOT_BLANK.test(chunk)) this.open[this.open.length - 1]!.children.push(chunk);
    });
    parser.on('cdata', (chunk) => {
      this.open[this.open.length - 1]?.children.push(chunk);
    });
  }

  write(text: string): void {
    if (text === '') return;
    let chunk = text;
    if (!this.started) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (!this.nonBlank && NOT_BLANK.test(chunk)) this.nonBlank = true;
    // Before saxes sees the piece: a DTD is refused before anything in it is parsed.
    this.dtd.scan(chunk);
    this.seen.push(chunk);
    this.parser.write(chunk);
  }

  /** The root element, once the whole document has been written. */
  end(): XmlElement {
    if (!this.nonBlank) throw clientFault(READ_FAULT_STRING, 'The request body is empty.');
    this.parser.close();
    // close() has failed (and thrown) unless exactly one root element was read.
    return this.root!;
  }
}

/**
 * Parses a whole document into its root element (see XmlTreeParser).
 * @throws SoapFault (Client) for anything the caller must fix.
 */
export function parseXmlDocument(text: string, limits: Partial<ParseLimits> = {}): XmlElement {
  const parser = new XmlTreeParser(limits);
  parser.write(text);
  return parser.end();
}

const DTD_MARKERS = /<!(?:DOCTYPE|ENTITY|\[CDATA\[)/gi;
/** The longest marker is 9 characters: a piece keeps the previous one's last 8 to find it split. */
const DTD_CARRY = 8;

/**
 * A DTD is the only way to define entities (billion laughs) or pull external resources (XXE);
 * SOAP 1.1 forbids it in messages anyway. Refused on sight, before the parser sees it. Inside
 * CDATA, the text is data and allowed. One forward pass over the pieces as they come, jumping
 * over CDATA sections (looking back at each match was quadratic: a 1 MB CDATA full of
 * "<!DOCTYPE" took over a minute); a marker split between two pieces is still found.
 */
class DtdScanner {
  private inCdata = false;
  private carry = '';

  scan(piece: string): void {
    const text = this.carry + piece;
    let from = 0;
    for (;;) {
      if (this.inCdata) {
        const end = text.indexOf(']]>', from);
        if (end === -1) break; // data to the end of this piece
        this.inCdata = false;
        from = end + 3;
        continue;
      }
      DTD_MARKERS.lastIndex = from;
      const match = DTD_MARKERS.exec(text);
      if (match === null) break;
      from = DTD_MARKERS.lastIndex;
      if (match[0] === '<![CDATA[') this.inCdata = true;
      else if (match[0][2] !== '[') {
        // (a miscased "<![cdata[" is no CDATA, and no DTD either: the parser refuses it)
        throw clientFault(READ_FAULT_STRING, 'A DOCTYPE or ENTITY declaration is not allowed in a SOAP message.');
      }
    }
    // Whatever was matched is behind `from`; only an unfinished marker can start after it.
    this.carry = text.slice(Math.max(from, text.length - DTD_CARRY));
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

/** What the SOAP reader is told while the envelope is still arriving. */
export interface SoapHooks {
  /** The call's first `sessiontoken` child has closed; `token` is its text, trimmed. */
  sessionToken?(token: string, call: XmlElement): void;
  /** A child element of the call other than `sessiontoken` opens: the data follows. */
  callContent?(call: XmlElement, child: XmlElement): void;
}

const isSessionToken = (element: XmlElement) => element.local.toLowerCase() === 'sessiontoken';

/**
 * Reads a SOAP 1.1 request piece by piece: the root is checked as soon as it opens (a non-SOAP
 * document goes no further), and the hooks hear of the session token and of the call's data
 * as they arrive, so credentials can be judged before the events are read.
 */
export class SoapEnvelopeParser {
  private readonly tree: XmlTreeParser;
  private body: XmlElement | undefined;
  private call: XmlElement | undefined;
  private tokenSeen = false;

  constructor(limits: Partial<ParseLimits> = {}, hooks: SoapHooks = {}) {
    this.tree = new XmlTreeParser(limits, {
      open: (element, parent, depth) => {
        if (depth === 1) checkEnvelope(element);
        else if (depth === 2) {
          if (this.body === undefined && element.local === 'Body' && element.ns === SOAP11_ENVELOPE_NS) this.body = element;
        } else if (depth === 3) {
          if (parent === this.body && this.call === undefined) this.call = element;
        } else if (depth === 4 && parent !== undefined && parent === this.call && !isSessionToken(element)) {
          hooks.callContent?.(parent, element);
        }
      },
      close: (element, parent, depth) => {
        if (depth === 4 && parent !== undefined && parent === this.call && !this.tokenSeen && isSessionToken(element)) {
          this.tokenSeen = true;
          hooks.sessionToken?.(ownText(element), parent);
        }
      },
    });
  }

  write(text: string): void {
    this.tree.write(text);
  }

  /**
   * @throws SoapFault — VersionMismatch for a SOAP 1.2 envelope, Client for anything else wrong.
   */
  end(): SoapBody {
    const envelope = this.tree.end();
    // Header blocks are ignored, as Adobe does (it reads the session token from the call).
    if (!this.body) throw clientFault(READ_FAULT_STRING, 'The SOAP Envelope has no Body.');
    if (!this.call) throw clientFault(READ_FAULT_STRING, 'The SOAP Body is empty: expected PushEvent or PushEvents.');
    return { envelope, call: this.call };
  }
}

function checkEnvelope(root: XmlElement): void {
  if (root.local === 'Envelope' && root.ns === SOAP12_ENVELOPE_NS) {
    throw new SoapFault(
      'VersionMismatch',
      READ_FAULT_STRING,
      `SOAP 1.2 envelopes are not supported; use SOAP 1.1 (namespace ${SOAP11_ENVELOPE_NS}).`,
    );
  }
  if (root.local !== 'Envelope' || root.ns !== SOAP11_ENVELOPE_NS) {
    throw clientFault(READ_FAULT_STRING, `The root element must be a SOAP 1.1 Envelope (namespace ${SOAP11_ENVELOPE_NS}).`);
  }
}

/**
 * Parses a whole request and checks it is a SOAP 1.1 envelope with a call in its Body.
 * @throws SoapFault — VersionMismatch for a SOAP 1.2 envelope, Client for anything else wrong.
 */
export function parseSoapEnvelope(text: string, limits: Partial<ParseLimits> = {}): SoapBody {
  const parser = new SoapEnvelopeParser(limits);
  parser.write(text);
  return parser.end();
}
