/**
 * Properties of the ctx XML → JSON rule (README.md, PROTOCOL.md), checked with fast-check on
 * generated documents: what a template author can rely on whatever the caller's XML holds.
 */
import fc from 'fast-check';
import { parseXmlDocument } from './envelope-parser';
import { ctxToJson, TEXT_KEY, type CtxObject, type CtxValue } from './ctx-mapping';
import { SoapFault } from './faults';
import { escapeAttribute, escapeText } from './xml-escape';

const RUNS = { numRuns: 300 };

/** XML 1.0 characters, astral ones included; the rule must carry any of them. */
const xmlChar = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'Z', '0', ' ', '&', '<', '>', '"', "'", ';', '#', ']', ']]>', '\t', '\n', '\r') },
  { weight: 3, arbitrary: fc.integer({ min: 0x20, max: 0xd7ff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0xe000, max: 0xfffd }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) },
);
const xmlString = fc.array(xmlChar, { maxLength: 12 }).map((cs) => cs.join(''));

/**
 * What XML does to text before we see it: line ends become \n (XML 1.0 §2.11). Writing \r
 * as a character reference keeps it, which is how a caller sends one.
 */
const escapeTextExact = (s: string) => escapeText(s).replace(/\r/g, '&#13;');
/** In attributes \t, \n and \r are also normalised to spaces (§3.3.3) unless written as references. */
const escapeAttributeExact = (s: string) => escapeAttribute(s).replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');

/** A value the rule gives back unchanged: text is trimmed, so generate it trimmed. */
const leaf = xmlString.map((s) => s.trim());

/** Element names: letters first, never a reserved JavaScript name or the text key. */
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);
const name = fc
  .stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,6}$/)
  .filter((n) => !RESERVED.has(n) && !n.toLowerCase().startsWith('xml'));

type Tree = string | { [key: string]: Tree | Tree[] };

/**
 * JSON-like trees of strings the XML can express: objects are not empty (an empty element is
 * ""), arrays hold at least two items (one repeat is an object) and no arrays.
 */
const { tree } = fc.letrec<{ tree: Tree; node: Tree; object: Record<string, Tree | Tree[]> }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('object')),
  tree: tie('object'),
  object: fc.dictionary(
    name,
    fc.oneof({ depthSize: 'small' }, tie('node'), fc.array(tie('node'), { minLength: 2, maxLength: 3 })),
    { minKeys: 1, maxKeys: 4 },
  ),
}));

/** Writes a tree as children of an element; string fields named in `asAttributes` as attributes. */
function element(tag: string, value: Tree, asAttributes: (key: string) => boolean = () => false): string {
  if (typeof value === 'string') return `<${tag}>${escapeTextExact(value)}</${tag}>`;
  let attributes = '';
  let children = '';
  for (const [key, field] of Object.entries(value)) {
    if (Array.isArray(field)) for (const item of field) children += element(key, item, asAttributes);
    else if (typeof field === 'string' && asAttributes(key)) attributes += ` ${key}="${escapeAttributeExact(field)}"`;
    else children += element(key, field, asAttributes);
  }
  return `<${tag}${attributes}>${children}</${tag}>`;
}

const ctxOf = (xml: string) => ctxToJson(parseXmlDocument(xml));

describe('ctx XML → JSON, properties', () => {
  it('any JSON-like tree of strings written as XML maps back to the same tree', () => {
    fc.assert(
      fc.property(tree, (t) => {
        expect(ctxOf(element('ctx', t))).toEqual(t);
      }),
      RUNS,
    );
  });

  it('attributes are fields: writing string fields as attributes instead of elements changes nothing', () => {
    fc.assert(
      fc.property(tree, fc.func(fc.boolean()), (t, pick) => {
        expect(ctxOf(element('ctx', t, (key) => pick(key)))).toEqual(t);
      }),
      RUNS,
    );
  });

  it('repeated siblings become an array in document order, adjacent or not; one stays a value', () => {
    fc.assert(
      fc.property(name, fc.array(leaf, { minLength: 1, maxLength: 6 }), name, leaf, (key, values, other, between) => {
        fc.pre(key !== other);
        // The other element sits between the first repeat and the rest.
        const [first, ...rest] = values;
        const xml = `<ctx>${element(key, first!)}${element(other, between)}${rest.map((v) => element(key, v)).join('')}</ctx>`;
        const json = ctxOf(xml);
        expect(json[key]).toEqual(values.length === 1 ? first : values);
        expect(json[other]).toBe(between);
      }),
      RUNS,
    );
  });

  it('text beside attributes or children goes to "#text"', () => {
    fc.assert(
      fc.property(
        fc.dictionary(name, leaf, { minKeys: 1, maxKeys: 4 }),
        leaf.filter((s) => s !== ''),
        fc.boolean(),
        (attributes, text, asChildren) => {
          const fields = Object.entries(attributes);
          const xml = asChildren
            ? `<ctx><e>${escapeTextExact(text)}${fields.map(([k, v]) => element(k, v)).join('')}</e></ctx>`
            : `<ctx><e${fields.map(([k, v]) => ` ${k}="${escapeAttributeExact(v)}"`).join('')}>${escapeTextExact(text)}</e></ctx>`;
          expect(ctxOf(xml).e).toEqual({ ...attributes, [TEXT_KEY]: text });
        },
      ),
      RUNS,
    );
  });

  it('escaping round-trips: text, CDATA and attribute values come back as sent (text trimmed, XML line ends)', () => {
    fc.assert(
      fc.property(xmlString, (s) => {
        const lineEnds = s.replace(/\r\n?/g, '\n');
        expect(ctxOf(`<ctx><v>${escapeTextExact(s)}</v></ctx>`).v).toBe(s.trim());
        // Plain escaping (what most clients do): \r\n and \r arrive as \n.
        expect(ctxOf(`<ctx><v>${escapeText(s)}</v></ctx>`).v).toBe(lineEnds.trim());
        expect((ctxOf(`<ctx><v a="${escapeAttributeExact(s)}"/></ctx>`).v as CtxObject).a).toBe(s);
        // Unescaped whitespace in an attribute is normalised to spaces, as XML requires.
        expect((ctxOf(`<ctx><v a="${escapeAttribute(s)}"/></ctx>`).v as CtxObject).a).toBe(lineEnds.replace(/[\t\n]/g, ' '));
        if (!s.includes(']]>')) expect(ctxOf(`<ctx><v><![CDATA[${s}]]></v></ctx>`).v).toBe(lineEnds.trim());
      }),
      RUNS,
    );
  });

  it('values stay strings, whatever they look like', () => {
    const numberLike = fc.oneof(fc.integer().map(String), fc.double({ noNaN: true }).map(String), fc.constantFrom('true', 'null', '00123', '1e3', '[]', '{}'));
    fc.assert(
      fc.property(fc.dictionary(name, numberLike, { minKeys: 1 }), (fields) => {
        const json = ctxOf(`<ctx>${Object.entries(fields).map(([k, v]) => element(k, v)).join('')}</ctx>`);
        expect(json).toEqual(fields);
        for (const value of Object.values(json)) expect(typeof value).toBe('string');
      }),
      RUNS,
    );
  });

  it('no name reaches a prototype: the three reserved ones are refused, the others are plain own fields', () => {
    const risky = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf', 'polluted');
    const riskyTree = fc.array(fc.tuple(risky, fc.oneof(leaf, fc.tuple(risky, leaf)), fc.boolean()), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(riskyTree, (entries) => {
        let xml = '<ctx>';
        for (const [key, value, asAttribute] of entries) {
          const inner = typeof value === 'string' ? escapeTextExact(value) : `<${value[0]}>${escapeTextExact(value[1])}</${value[0]}>`;
          xml += asAttribute && typeof value === 'string' ? `<e ${key}="${escapeAttributeExact(value)}"/>` : `<${key}>${inner}</${key}>`;
        }
        xml += '</ctx>';
        const usesReserved = entries.some(([key, value]) => RESERVED.has(key) || (typeof value !== 'string' && RESERVED.has(value[0])));
        let json: CtxObject | undefined;
        try {
          json = ctxOf(xml);
        } catch (error) {
          expect(error).toBeInstanceOf(SoapFault);
          expect((error as SoapFault).faultCode).toBe('Client');
          expect((error as SoapFault).detail).toMatch(/is not allowed for an element or attribute/);
        }
        expect(json === undefined).toBe(usesReserved);
        if (json !== undefined) {
          const walk = (value: CtxValue): void => {
            if (typeof value === 'string') return;
            if (Array.isArray(value)) return value.forEach(walk);
            expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
            for (const key of Object.keys(value)) walk(value[key]!);
          };
          walk(json);
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
        expect(typeof ({} as { toString: unknown }).toString).toBe('function');
      }),
      RUNS,
    );
  });
});
