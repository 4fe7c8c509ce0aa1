/**
 * One Adobe `<rtEvent>` / `<batchEvent>` element as an EventInput plus its lane. Attribute
 * names, the Adobe-only extras (emailFormat, registrationToken + mobileApp uuid) and the
 * date formats are decided here; README.md documents the table.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { parseWishedChannel, type Lane } from '@mc/core';
import { EventInput } from '@mc/contracts';
import { attribute, childElements, type XmlElement } from './envelope-parser';
import { ctxToJson, type CtxObject } from './ctx-mapping';

/**
 * Where Adobe attributes without an EventInput field go: `ctx._adobe`, only when one is present.
 * Reserved: a `<ctx>` may not carry its own `_adobe`.
 */
export const ADOBE_CTX_KEY = '_adobe';

export interface AdobeExtras {
  /** From `emailFormat` 1 / 2 (0 = unknown is left out). */
  emailFormat?: 'text' | 'html';
  /** A device token that is not an SNS endpoint ARN (an ARN goes to `push.snsEndpointArn`). */
  registrationToken?: string;
  /** `<mobileApp uuid="..."/>`: which app the token belongs to. */
  mobileAppUuid?: string;
}

export type MappedEvent =
  | { ok: true; lane: Lane; element: 'rtEvent' | 'batchEvent'; event: EventInput }
  | { ok: false; element: string; message: string };

const SNS_ARN = /^arn:aws[a-z-]*:sns:/;

// Dates are checked here (Adobe formats → RFC 3339), so the shape check skips them.
const checkShape = TypeCompiler.Compile(EventInput);

/** JSON paths of EventInput back to the attribute the caller wrote. */
const ATTRIBUTE_OF_PATH: Readonly<Record<string, string>> = {
  '/locale': 'language',
  '/push/snsEndpointArn': 'registrationToken',
  '/push': 'registrationToken',
};

export function mapEventElement(element: XmlElement): MappedEvent {
  const name = element.local;
  if (name !== 'rtEvent' && name !== 'batchEvent') {
    return { ok: false, element: name, message: `expected an rtEvent or batchEvent element, found <${name}>.` };
  }
  const fail = (message: string): MappedEvent => ({ ok: false, element: name, message });
  const read = (local: string): string | undefined => {
    const value = attribute(element, local)?.trim();
    // Adobe clients often send every attribute, empty when unknown: empty means absent.
    return value === '' ? undefined : value;
  };

  const type = read('type');
  if (type === undefined) return fail('the type attribute (the event type) is required.');
  const event: Record<string, unknown> = { type };

  // Addresses are taken as given, as Adobe does: a bad or missing one is no fault of the call;
  // the event is accepted and ends targetingFailed with the reason (REST refuses it at the door).
  for (const [attr, field] of [
    ['email', 'email'],
    ['mobilePhone', 'mobilePhone'],
    ['origin', 'origin'],
    ['externalId', 'externalId'],
    ['language', 'locale'],
  ] as const) {
    const value = read(attr);
    if (value !== undefined) event[field] = value;
  }

  const wished = read('wishedChannel');
  if (wished !== undefined) {
    const channel = parseWishedChannel(wished);
    if (channel === undefined) {
      return fail(`attribute wishedChannel: "${wished}" is not 0 (email), 1 (SMS), 41 (iOS push) or 42 (Android push).`);
    }
    event.wishedChannel = channel;
  }

  for (const field of ['scheduled', 'expiration'] as const) {
    const raw = read(field);
    if (raw === undefined) continue;
    const iso = adobeDateToIso(raw);
    if (iso === undefined) {
      return fail(`attribute ${field}: "${raw}" is not a date (expected e.g. 2026-11-27 15:00:00.000Z or 2026-11-27T15:00:00Z).`);
    }
    event[field] = iso;
  }

  const extras: AdobeExtras = {};
  const emailFormat = read('emailFormat');
  if (emailFormat !== undefined && emailFormat !== '0') {
    if (emailFormat === '1') extras.emailFormat = 'text';
    else if (emailFormat === '2') extras.emailFormat = 'html';
    else return fail(`attribute emailFormat: "${emailFormat}" is not 0 (unknown), 1 (text) or 2 (HTML).`);
  }
  const token = read('registrationToken');
  if (token !== undefined) {
    if (SNS_ARN.test(token)) event.push = { snsEndpointArn: token };
    else extras.registrationToken = token;
  }

  let ctx: CtxObject | undefined;
  let ctxCount = 0;
  for (const child of childElements(element)) {
    if (child.local === 'ctx') {
      if (++ctxCount > 1) return fail('more than one <ctx> element.');
      ctx = ctxToJson(child);
    } else if (child.local === 'mobileApp') {
      const uuid = attribute(child, 'uuid')?.trim();
      if (uuid) extras.mobileAppUuid = uuid;
    }
    // Other children (Adobe's event schema has internal ones) are ignored, like unknown attributes.
  }
  if (ctx !== undefined && Object.prototype.hasOwnProperty.call(ctx, ADOBE_CTX_KEY)) {
    return fail(`ctx: the name "${ADOBE_CTX_KEY}" is reserved for Adobe attributes; rename the element.`);
  }
  if (Object.keys(extras).length > 0) {
    ctx ??= {};
    ctx[ADOBE_CTX_KEY] = extras as CtxObject;
  }
  if (ctx !== undefined) event.ctx = ctx;

  const checked = { ...event };
  delete checked.scheduled;
  delete checked.expiration;
  if (!checkShape.Check(checked)) {
    const first = checkShape.Errors(checked).First();
    const path = first?.path ?? '';
    const attr = ATTRIBUTE_OF_PATH[path] ?? (path.replace(/^\//, '') || 'event');
    return fail(`attribute ${attr}: ${first?.message ?? 'is invalid'}.`);
  }
  return {
    ok: true,
    lane: name === 'rtEvent' ? 'realtime' : 'batch',
    element: name,
    event: event as EventInput,
  };
}

const ADOBE_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Adobe writes dates as `2026-11-27 15:00:00.000Z`; clients also send ISO 8601 with `T`, an
 * offset, or a bare date. Without a zone the time is read as UTC — Adobe's SOAP layer
 * exchanges UTC. Returns RFC 3339 in UTC (`2026-11-27T15:00:00.000Z`), undefined when invalid.
 */
export function adobeDateToIso(text: string): string | undefined {
  const m = ADOBE_DATE.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 14 || om > 59) return undefined;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const millis = frac === '' ? 0 : Number(frac.padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  const date = new Date(utc);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
