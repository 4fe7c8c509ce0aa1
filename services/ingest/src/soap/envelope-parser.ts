/**
 * Reads a SOAP 1.1 request safely: refuses DTDs before any parsing (billion laughs, XXE),
 * bounds the element count and the nesting depth, reports malformed XML with line and column,
 * and yields a small namespace-resolved element tree whose text is entity-decoded — so the rest
 * of the layer matches elements by local name and namespace whatever prefixes the client chose.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { clientFault, READ_FAULT_STRING, SoapFault } from './faults';

export const SOAP11_ENVELOPE_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_ENVELOPE_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

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

type Scope = ReadonlyMap<string, string>;
type FxpNode = Record<string, unknown>;

const ROOT_SCOPE: Scope = new Map([['xml', XML_NS]]);

// processEntities:false — no DTD entity is ever expanded; the five predefined entities and
// character references are decoded by `decodeEntities` below. Values stay strings
// (parseTagValue/parseAttributeValue off): "0046…" phone numbers keep their zeros.
// jPath:false is ~2x faster on large bodies (no path strings built per tag).
function makeParser(maxDepth: number): XMLParser {
  return new XMLParser({
    preserveOrder: true, // rtEvent/batchEvent interleaving is meaningful (ids in document order)
    ignoreAttributes: false,
    attributeNamePrefix: '',
    processEntities: false,
    htmlEntities: false,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    cdataPropName: '#cdata', // kept apart so CDATA content is not entity-decoded
    commentPropName: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    maxNestedTags: maxDepth,
    jPath: false,
    // Names like toString/valueOf would otherwise be renamed to __toString; our tree stores
    // names as values, never as object keys, so they are harmless here.
    onDangerousProperty: (name: string) => name,
  });
}

const parsers = new Map<number, XMLParser>();
function parserFor(maxDepth: number): XMLParser {
  let parser = parsers.get(maxDepth);
  if (!parser) {
    parser = makeParser(maxDepth);
    parsers.set(maxDepth, parser);
  }
  return parser;
}

/**
 * Parses a whole request body into its root element.
 * @throws SoapFault (Client) for anything the caller must fix.
 */
export function parseXmlDocument(text: string, limits: ParseLimits = { maxDepth: MAX_DEPTH, maxElements: MAX_ELEMENTS }): XmlElement {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw clientFault(READ_FAULT_STRING, 'The request body is empty.');

  refuseDtd(body);

  // Each element costs at least one '<'; counting them is a cheap upper bound taken before
  // the (costlier) validation and parse.
  let angles = 0;
  for (let i = body.indexOf('<'); i !== -1; i = body.indexOf('<', i + 1)) angles++;
  if (angles > limits.maxElements * 2 + 16) {
    throw clientFault(READ_FAULT_STRING, `The request has more than ${limits.maxElements} elements.`);
  }

  // fast-xml-parser's parser is lenient (it accepts unclosed and mismatched tags), so the
  // validator decides well-formedness and gives the position.
  const verdict = XMLValidator.validate(body, { allowBooleanAttributes: false });
  if (verdict !== true) {
    const { line, col, msg } = verdict.err;
    const where = col === undefined ? `line ${line}` : `line ${line}, column ${col}`;
    throw clientFault(READ_FAULT_STRING, `Malformed XML at ${where}: ${msg}`);
  }

  let nodes: unknown;
  try {
    nodes = parserFor(limits.maxDepth).parse(body);
  } catch (error) {
    throw parserFault(error, limits.maxDepth);
  }

  const roots = (Array.isArray(nodes) ? (nodes as FxpNode[]) : []).filter((n) => {
    const name = nodeName(n);
    return name !== undefined && name !== '#text' && name !== '#cdata';
  });
  if (roots.length !== 1) {
    throw clientFault(READ_FAULT_STRING, `Malformed XML: expected one root element, found ${roots.length}.`);
  }
  const counter = { left: limits.maxElements, max: limits.maxElements };
  return convert(roots[0]!, ROOT_SCOPE, counter);
}

/**
 * A DTD is the only way to define entities (billion laughs) or pull external resources (XXE);
 * SOAP 1.1 forbids it in messages anyway. Refused on sight, before the parser sees the body.
 * Inside CDATA, the text is data and allowed.
 */
function refuseDtd(body: string): void {
  const pattern = /<!(?:DOCTYPE|ENTITY)/gi;
  for (let match = pattern.exec(body); match !== null; match = pattern.exec(body)) {
    const at = match.index;
    const cdataOpen = body.lastIndexOf('<![CDATA[', at);
    if (cdataOpen !== -1 && body.lastIndexOf(']]>', at) < cdataOpen) continue;
    throw clientFault(
      READ_FAULT_STRING,
      'A DOCTYPE or ENTITY declaration is not allowed in a SOAP message.',
    );
  }
}

function parserFault(error: unknown, maxDepth: number): SoapFault {
  const message = error instanceof Error ? error.message : '';
  if (/nested tags/i.test(message)) {
    return clientFault(READ_FAULT_STRING, `Elements are nested deeper than ${maxDepth} levels.`);
  }
  const reserved = /Invalid \w+: "([^"]{1,64})" is a reserved/.exec(message);
  if (reserved) {
    return clientFault(READ_FAULT_STRING, `The name "${reserved[1]}" is not allowed for an element or attribute.`);
  }
  return clientFault(READ_FAULT_STRING, 'Malformed XML.');
}

function nodeName(node: FxpNode): string | undefined {
  for (const key in node) if (key !== ':@') return key;
  return undefined;
}

const NOT_BLANK = /\S/;

// Hot path (a 1,000-event call has ~15,000 elements): no tuples, no trimmed copies.
function convert(node: FxpNode, parentScope: Scope, counter: { left: number; max: number }): XmlElement {
  if (--counter.left < 0) throw clientFault(READ_FAULT_STRING, `The request has more than ${counter.max} elements.`);
  const qname = nodeName(node)!;
  const rawAttrs = node[':@'] as Record<string, string> | undefined;

  let scope = parentScope;
  const attrs: XmlAttribute[] = [];
  if (rawAttrs !== undefined) {
    for (const name in rawAttrs) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) {
        if (scope === parentScope) scope = new Map(parentScope);
        (scope as Map<string, string>).set(name === 'xmlns' ? '' : name.slice(6), rawAttrs[name]!);
      }
    }
    for (const name in rawAttrs) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
      const colon = name.indexOf(':');
      attrs.push({
        local: colon === -1 ? name : name.slice(colon + 1),
        ns: colon === -1 ? '' : (scope.get(name.slice(0, colon)) ?? ''),
        value: decodeEntities(normalizeAttribute(rawAttrs[name]!)),
      });
    }
  }

  const children: (XmlElement | string)[] = [];
  const content = node[qname];
  if (Array.isArray(content)) {
    for (let i = 0; i < content.length; i++) {
      const child = content[i] as FxpNode;
      const text = child['#text'];
      if (text !== undefined) {
        if (typeof text === 'string' && NOT_BLANK.test(text)) children.push(decodeEntities(text));
        continue;
      }
      const cdata = child['#cdata'];
      if (cdata !== undefined) {
        if (Array.isArray(cdata)) {
          for (const part of cdata as FxpNode[]) {
            const raw = part['#text'];
            if (typeof raw === 'string') children.push(raw);
          }
        }
        continue;
      }
      children.push(convert(child, scope, counter));
    }
  }
  const colon = qname.indexOf(':');
  return {
    qname,
    local: colon === -1 ? qname : qname.slice(colon + 1),
    ns: scope.get(colon === -1 ? '' : qname.slice(0, colon)) ?? '',
    attrs,
    children,
  };
}

/** XML attribute-value normalisation: literal tabs and newlines read as spaces. */
function normalizeAttribute(value: string): string {
  return /[\t\n\r]/.test(value) ? value.replace(/\r\n|[\t\n\r]/g, ' ') : value;
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** The five predefined entities and character references; any other entity is an error (no DTD). */
export function decodeEntities(text: string): string {
  if (text.indexOf('&') === -1) return text;
  return text.replace(/&(#[0-9]{1,8}|#x[0-9a-fA-F]{1,7}|[A-Za-z_:][\w.:-]{0,63});/g, (_match, ref: string) => {
    if (ref.charCodeAt(0) !== 0x23 /* # */) {
      const value = PREDEFINED[ref];
      if (value === undefined) throw clientFault(READ_FAULT_STRING, `Undefined entity '&${ref};' (only XML's predefined entities are allowed).`);
      return value;
    }
    const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    const allowed =
      code === 0x9 || code === 0xa || code === 0xd ||
      (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
    if (!allowed) throw clientFault(READ_FAULT_STRING, `Invalid character reference '&${ref};'.`);
    return String.fromCodePoint(code);
  });
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
