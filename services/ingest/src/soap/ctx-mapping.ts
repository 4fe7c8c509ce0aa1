/**
 * Adobe's free-form `<ctx>` XML as the JSON the templates personalise with. The rule (also in
 * README.md): text-only element → string; attributes → fields; attributes or children plus text
 * → the text under "#text"; repeated siblings → array; values stay strings; prefixes dropped.
 */
import { XSI_NS, type XmlElement } from './envelope-parser';

export type CtxValue = string | CtxObject | CtxValue[];
export interface CtxObject {
  [key: string]: CtxValue;
}

/** The key that holds an element's text when the element also has attributes or children. */
export const TEXT_KEY = '#text';

/** The whole `<ctx>` element: always an object, since EventInput.ctx is a record. */
export function ctxToJson(ctx: XmlElement): CtxObject {
  const value = elementToJson(ctx);
  if (typeof value !== 'string') return value as CtxObject;
  return value === '' ? {} : { [TEXT_KEY]: value };
}

export function elementToJson(element: XmlElement): CtxValue {
  let object: CtxObject | undefined;
  let text = '';
  let textPieces = 0;

  for (const attr of element.attrs) {
    // xsi:type / xsi:nil are SOAP-encoding noise some toolkits add, not data.
    if (attr.ns === XSI_NS) continue;
    object ??= {};
    addField(object, attr.local, attr.value);
  }
  for (const child of element.children) {
    if (typeof child === 'string') {
      text += child;
      textPieces++;
    } else {
      object ??= {};
      addField(object, child.local, elementToJson(child));
    }
  }
  // Mixed content keeps its text pieces joined as written; only the ends are trimmed.
  const trimmed = textPieces === 0 ? '' : text.trim();
  if (object === undefined) return trimmed;
  if (trimmed !== '') addField(object, TEXT_KEY, trimmed);
  return object;
}

/**
 * A second value under one name makes an array, in document order (an attribute comes first
 * when an attribute and a child element share a name).
 */
function addField(object: CtxObject, key: string, value: CtxValue): void {
  if (!Object.prototype.hasOwnProperty.call(object, key)) {
    // The XML parser already refuses __proto__ as a name; defineProperty keeps this safe even so.
    if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
    else object[key] = value;
    return;
  }
  const existing = object[key]!;
  // elementToJson never returns an array, so an array here is one this function made.
  if (Array.isArray(existing)) existing.push(value);
  else object[key] = [existing, value];
}
