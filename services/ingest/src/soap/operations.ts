/**
 * Which operation a request calls. Adobe routes on SOAPAction (`nms:rtEvent#PushEvent`); many
 * clients send it empty, so the Body's first element decides then. When both are present they
 * must agree — a mismatch is a client bug better reported than guessed.
 */
import { clientFault, methodFaultString, READ_FAULT_STRING } from './faults';
import type { XmlElement } from './envelope-parser';

export const SERVICES = ['nms:rtEvent', 'nms:batchEvent'] as const;
export type Service = (typeof SERVICES)[number];
export const METHODS = ['PushEvent', 'PushEvents'] as const;
export type Method = (typeof METHODS)[number];

export interface Operation {
  method: Method;
  /** Adobe's schema name, used in fault strings. */
  service: string;
  /** The namespace the response wrapper is written in: the request's, so a WSDL client finds it. */
  responseNs: string;
}

interface SoapAction {
  service: string;
  method: string;
}

/** `"nms:rtEvent#PushEvent"`, quoted or not, with or without `urn:`; undefined when empty. */
export function parseSoapAction(header: string | undefined): SoapAction | undefined | 'invalid' {
  const value = (header ?? '').trim().replace(/^"(.*)"$/, '$1').trim();
  if (value === '') return undefined;
  const m = /^(?:urn:)?([A-Za-z][\w.-]*:[A-Za-z][\w.-]*)#([A-Za-z_][\w.-]*)$/.exec(value);
  if (!m) return 'invalid';
  return { service: m[1]!, method: m[2]! };
}

const isMethod = (name: string): name is Method => (METHODS as readonly string[]).includes(name);

export function resolveOperation(soapActionHeader: string | undefined, call: XmlElement): Operation {
  const action = parseSoapAction(soapActionHeader);
  if (action === 'invalid') {
    throw clientFault(READ_FAULT_STRING, `Unknown SOAPAction "${soapActionHeader}": expected e.g. "nms:rtEvent#PushEvent".`);
  }
  const serviceFromNs = /^urn:(nms:(?:rtEvent|batchEvent))$/.exec(call.ns)?.[1];
  const service = action?.service ?? serviceFromNs ?? 'nms:rtEvent';
  const method = action?.method ?? call.local;

  if (!(SERVICES as readonly string[]).includes(service)) {
    throw clientFault(methodFaultString(method, service), `Unknown service '${service}': this server offers nms:rtEvent and nms:batchEvent.`);
  }
  if (!isMethod(method)) {
    throw clientFault(methodFaultString(method, service), `Unknown method '${method}' of service '${service}': use PushEvent or PushEvents.`);
  }
  if (call.local !== method) {
    throw clientFault(
      methodFaultString(method, service),
      `The SOAPAction names '${method}' but the Body holds '${call.local}'.`,
    );
  }
  return { method, service, responseNs: call.ns !== '' ? call.ns : `urn:${service}` };
}
