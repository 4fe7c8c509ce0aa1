/**
 * The Adobe Campaign Message Center SOAP entry point: `POST /nl/jsp/soaprouter.jsp` (PushEvent,
 * PushEvents) and the WSDL at `GET /nl/jsp/schemawsdl.jsp`. An encapsulated plugin: its XML
 * body parsers and its error handler (everything answers as a SOAP fault, HTTP 500) apply to
 * these routes only. Events go through the same EventIntake as REST, so ids, lanes and
 * idempotency are shared.
 */
import type { Readable } from 'node:stream';
import type { FastifyError, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { MAX_BATCH_EVENTS, type Problem } from '@mc/contracts';
import type { Lane } from '@mc/core';
import type { EventIntake, IntakeItem, IntakeResult } from '../events/event-intake';
import type { EventTypeCatalog } from '../events/event-type-catalog';
import { internalProblem, makeProblem } from '../http/problems';
import type { RouteAuth } from '../plugins/auth';
import type { AuthFailureThrottle } from '../plugins/auth-failure-throttle';
import { childElements, findChild, type ParseLimits, type XmlElement } from './envelope-parser';
import { mapEventElement } from './event-mapping';
import {
  clientFault,
  faultEnvelope,
  faultFromFrameworkError,
  GENERIC_SERVER_DETAIL,
  methodFaultString,
  READ_FAULT_STRING,
  SoapFault,
  UNAVAILABLE_DETAIL,
} from './faults';
import { resolveOperation, type Operation } from './operations';
import { XML_CONTENT_TYPES } from './request-body';
import { readSoapRequest, type SoapRequest } from './request-reader';
import { pushResponseEnvelope } from './responses';
import { countingFailures, createAuthenticator, type Principal, type SoapOperator } from './soap-auth';
import { buildWsdl, isWsdlSchema, WSDL_SCHEMAS } from './wsdl';

export const SOAP_ROUTER_PATH = '/nl/jsp/soaprouter.jsp';
export const WSDL_PATH = '/nl/jsp/schemawsdl.jsp';

const XML_REPLY_TYPE = 'text/xml; charset=utf-8';
/** REST's Idempotency-Key limit. */
const MAX_IDEMPOTENCY_KEY = 255;
/**
 * The service-wide auth hook (plugins/auth.ts) would refuse a SOAP call without a Bearer header
 * as a JSON 401; these routes authenticate themselves (sessiontoken, operators, Bearer).
 */
const SELF_AUTHENTICATED: { auth: RouteAuth } = { auth: 'public' };
/** How many bad items one fault lists: enough to fix a batch in one round, short enough to read. */
const MAX_LISTED_FAULTS = 10;

export interface SoapPluginOptions {
  /** Only `accept` is used; the same intake as REST. */
  intake: Pick<EventIntake, 'accept'>;
  /** Resolves an API key (sessiontoken or Bearer) to a principal; undefined when unknown. */
  verifyApiKey(key: string): Promise<Principal | undefined>;
  /** Configured SOAP operator accounts for `login/password` session tokens. */
  operators: readonly SoapOperator[];
  /** Largest accepted request body; larger → Client fault. */
  bodyLimitBytes: number;
  /**
   * The intake's event-type catalog. When given, a PushEvents call checks every item's event
   * type (exists, enabled, ctx schema) before anything is stored, so one bad item rejects the
   * whole call and a corrected resend creates no duplicates. Without it those checks happen
   * in the intake, after other items may have been stored (the fault then says which).
   */
  eventTypes?: Pick<EventTypeCatalog, 'get'>;
  /** Parser limits (depth, elements, attributes); the defaults are in envelope-parser.ts. */
  parseLimits?: Partial<ParseLimits>;
  /**
   * Failed logins per client address, shared with the REST door (plugins/auth-failure-throttle.ts):
   * an address past the limit gets a Client fault before its body is read.
   */
  authFailures?: Pick<AuthFailureThrottle, 'blocked' | 'fail'>;
}

/** As Adobe does: a bad or missing address is accepted and the event ends targetingFailed. */
const ADOBE_ADDRESSES = { checkAddresses: false } as const;

const tooManyFailures = (retryAfterSeconds: number) =>
  `Too many failed logins from this address; retry after ${retryAfterSeconds} s.`;

export const soapRoutes: FastifyPluginAsync<SoapPluginOptions> = async (app, options) => {
  if (!Number.isInteger(options.bodyLimitBytes) || options.bodyLimitBytes <= 0) {
    throw new Error(`soapRoutes: bodyLimitBytes must be a positive integer, got ${options.bodyLimitBytes}`);
  }
  for (const operator of options.operators) {
    if (operator.login === '' || operator.login.includes('/') || operator.password === '') {
      throw new Error('soapRoutes: every SOAP operator needs a login without "/" and a non-empty password');
    }
  }
  const bodyLimit = options.bodyLimitBytes;
  const authenticator = createAuthenticator(options.verifyApiKey, options.operators);

  // Only XML reaches these routes: anything else (JSON included) is a 415 that the error
  // handler below answers as a SOAP fault. The parser reads the stream itself, credentials
  // first (request-reader.ts); its "body" is the parsed, authenticated request.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(XML_CONTENT_TYPES, async (request: FastifyRequest, payload: Readable) => {
    const throttle = options.authFailures;
    const blocked = throttle?.blocked(request.ip);
    if (blocked) {
      // Nothing of the body is read or parsed for an address that is guessing credentials.
      payload.resume();
      throw new SoapFault('Client', 'Rate limit exceeded.', tooManyFailures(blocked.retryAfterSeconds));
    }
    return readSoapRequest(payload, {
      headers: request.headers,
      bodyLimit,
      authenticator: throttle ? countingFailures(authenticator, () => throttle.fail(request.ip), tooManyFailures) : authenticator,
      ...(options.parseLimits ? { limits: options.parseLimits } : {}),
    });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (request.routeOptions.url === WSDL_PATH) {
      request.log.error({ err: error }, 'WSDL request failed');
      return reply.code(500).type('application/problem+json').send(internalProblem());
    }
    let fault: SoapFault;
    if (error instanceof SoapFault) fault = error;
    else if (isUnavailable(error)) fault = new SoapFault('Server', 'The service is temporarily unavailable.', UNAVAILABLE_DETAIL);
    else if (isDomainError(error, 'rate_limited')) fault = new SoapFault('Client', 'Rate limit exceeded.', (error as Error).message);
    else {
      const framework = faultFromFrameworkError(error, bodyLimit);
      if (framework) fault = framework;
      else {
        request.log.error({ err: error }, 'SOAP request failed');
        fault = new SoapFault('Server', 'Internal server error.', GENERIC_SERVER_DETAIL);
      }
    }
    // The detail may carry addresses from the request; the code and string are enough to trace.
    request.log.info({ faultCode: fault.faultCode, faultString: fault.faultString }, 'SOAP fault');
    return reply.code(500).type(XML_REPLY_TYPE).send(faultEnvelope(fault));
  });

  app.post(SOAP_ROUTER_PATH, { bodyLimit, config: SELF_AUTHENTICATED }, async (request, reply) => {
    // No body at all (no Content-Type either): nothing was parsed.
    const parsed = request.body as SoapRequest | undefined;
    if (parsed === undefined || parsed === null) throw clientFault(READ_FAULT_STRING, 'The request body is empty.');
    const { call, auth } = parsed;
    const operation = resolveOperation(headerValue(request, 'soapaction'), call);
    const faultString = methodFaultString(operation.method, operation.service);

    const elements = operation.method === 'PushEvent' ? singleEvent(call, faultString) : eventCollection(call, faultString);
    const label = (index: number, element: string) =>
      operation.method === 'PushEvent' ? element : `event ${index} (${element})`;

    // Every item is judged before anything is stored (Adobe semantics: the call is one unit).
    const mapped = elements.map(mapEventElement);
    const problems: string[] = [];
    mapped.forEach((m, index) => {
      if (!m.ok) problems.push(`${label(index, m.element)}: ${m.message}`);
    });
    if (problems.length === 0 && options.eventTypes) {
      problems.push(...(await checkEventTypes(options.eventTypes, mapped, label)));
    }
    if (problems.length > 0) throw clientFault(faultString, listProblems(problems));

    const idempotencyKey = headerValue(request, 'idempotency-key');
    if (idempotencyKey !== undefined && (idempotencyKey === '' || idempotencyKey.length > MAX_IDEMPOTENCY_KEY)) {
      throw clientFault(faultString, `The Idempotency-Key header must be 1 to ${MAX_IDEMPOTENCY_KEY} characters.`);
    }

    const ids = await enqueue(request, options.intake, operation, faultString, auth.scope, idempotencyKey, mapped, label);
    return reply.code(200).type(XML_REPLY_TYPE).send(pushResponseEnvelope(operation.method, operation.responseNs, ids));
  });

  app.get(WSDL_PATH, { config: SELF_AUTHENTICATED }, async (request, reply) => {
    const { schema } = request.query as { schema?: unknown };
    if (!isWsdlSchema(schema)) {
      const asked = typeof schema === 'string' ? `"${schema.slice(0, 100)}"` : 'none';
      const problem: Problem = makeProblem(
        404,
        'not-found',
        'Not found',
        `No WSDL for schema ${asked}; this server describes ${WSDL_SCHEMAS.join(' and ')}.`,
      );
      return reply.code(404).type('application/problem+json').send(problem);
    }
    return reply.type(XML_REPLY_TYPE).send(buildWsdl(schema, `${request.protocol}://${serviceHost(request)}${SOAP_ROUTER_PATH}`));
  });
};

type Mapped = ReturnType<typeof mapEventElement>;
type Label = (index: number, element: string) => string;

function singleEvent(call: XmlElement, faultString: string): XmlElement[] {
  const dom = findChild(call, 'domEvent');
  if (!dom) throw clientFault(faultString, 'PushEvent needs a domEvent element holding one rtEvent or batchEvent.');
  const events = childElements(dom);
  if (events.length !== 1) {
    throw clientFault(faultString, `domEvent must hold exactly one rtEvent or batchEvent element, found ${events.length}; use PushEvents for several.`);
  }
  return events;
}

function eventCollection(call: XmlElement, faultString: string): XmlElement[] {
  const collection = findChild(call, 'domEventCollection');
  if (!collection) throw clientFault(faultString, 'PushEvents needs a domEventCollection element.');
  let items = childElements(collection);
  // Adobe's samples wrap the events in <Events>; bare events are accepted too.
  const only = items[0];
  if (items.length === 1 && only && only.local !== 'rtEvent' && only.local !== 'batchEvent') items = childElements(only);
  if (items.length > MAX_BATCH_EVENTS) {
    throw clientFault(faultString, `PushEvents takes at most ${MAX_BATCH_EVENTS} events per call, got ${items.length}.`);
  }
  return items;
}

async function checkEventTypes(catalog: Pick<EventTypeCatalog, 'get'>, mapped: Mapped[], label: Label): Promise<string[]> {
  const types = new Map<string, Awaited<ReturnType<EventTypeCatalog['get']>>>();
  for (const m of mapped) if (m.ok && !types.has(m.event.type)) types.set(m.event.type, undefined);
  await Promise.all([...types.keys()].map(async (key) => types.set(key, await catalog.get(key))));
  const problems: string[] = [];
  mapped.forEach((m, index) => {
    if (!m.ok) return;
    const type = types.get(m.event.type);
    if (!type) problems.push(`${label(index, m.element)}: unknown event type "${m.event.type}".`);
    else if (!type.enabled) problems.push(`${label(index, m.element)}: event type "${m.event.type}" is disabled.`);
    else {
      const errors = type.checkCtx(m.event.ctx ?? {});
      if (errors.length > 0) {
        problems.push(`${label(index, m.element)}: ctx does not match the schema of ${m.event.type}: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}.`);
      }
    }
  });
  return problems;
}

/**
 * One accept call per lane (a mixed PushEvents makes two, concurrently), ids put back in
 * document order. A duplicate (same Idempotency-Key) answers the first call's id.
 */
async function enqueue(
  request: FastifyRequest,
  intake: Pick<EventIntake, 'accept'>,
  operation: Operation,
  faultString: string,
  scope: string,
  idempotencyKey: string | undefined,
  mapped: Mapped[],
  label: Label,
): Promise<string[]> {
  const byLane = new Map<Lane, { index: number; element: string; item: IntakeItem }[]>();
  mapped.forEach((m, index) => {
    if (!m.ok) return;
    const item: IntakeItem = { event: m.event };
    if (idempotencyKey !== undefined) {
      item.idempotencyKey = operation.method === 'PushEvent' ? idempotencyKey : `${idempotencyKey}#${index}`;
    }
    let entries = byLane.get(m.lane);
    if (!entries) byLane.set(m.lane, (entries = []));
    entries.push({ index, element: m.element, item });
  });

  const lanes = [...byLane];
  const settled = await Promise.allSettled(lanes.map(([lane, entries]) => intake.accept(entries.map((e) => e.item), lane, scope, ADOBE_ADDRESSES)));

  const ids: (string | undefined)[] = new Array(mapped.length);
  const problems: string[] = [];
  // An item refused by the server side (a queue shard that did not confirm: 503) is a Server fault.
  let serverSide = false;
  let failure: unknown;
  settled.forEach((outcome, laneIndex) => {
    const entries = lanes[laneIndex]![1];
    if (outcome.status === 'rejected') {
      failure ??= outcome.reason;
      return;
    }
    outcome.value.forEach((result: IntakeResult, i) => {
      const entry = entries[i]!;
      if (result.ok) ids[entry.index] = result.id;
      else {
        problems.push(`${label(entry.index, entry.element)}: ${describeProblem(result.problem)}`);
        if (result.problem.status >= 500) serverSide = true;
      }
    });
  });

  const stored = ids.filter((id): id is string => id !== undefined);
  if (failure !== undefined) {
    if (stored.length > 0) {
      request.log.warn({ stored: stored.length, of: mapped.length }, 'SOAP PushEvents stored part of its events before a lane failed');
    }
    if (isUnavailable(failure)) throw new SoapFault('Server', faultString, UNAVAILABLE_DETAIL);
    throw failure;
  }
  if (problems.length > 0) {
    // Only reachable without the eventTypes pre-check (or if a type changed in between), or
    // when some shards of a lane (QUEUE_SHARDS) did not confirm.
    let detail = listProblems(problems);
    if (stored.length > 0) {
      const shown = stored.slice(0, 20).join(', ');
      detail += ` The other ${stored.length} event(s) of this call were stored (plId ${shown}${stored.length > 20 ? ', …' : ''}); resend only the rejected ones.`;
    }
    throw serverSide ? new SoapFault('Server', faultString, detail) : clientFault(faultString, detail);
  }
  return stored;
}

function describeProblem(problem: Problem): string {
  const errors = problem.errors?.length ? ` (${problem.errors.map((e) => `${e.path} ${e.message}`).join('; ')})` : '';
  return `${problem.detail}${errors}`;
}

function listProblems(problems: readonly string[]): string {
  const shown = problems.slice(0, MAX_LISTED_FAULTS).join(' ');
  return problems.length > MAX_LISTED_FAULTS ? `${shown} …and ${problems.length - MAX_LISTED_FAULTS} more.` : shown;
}

function isUnavailable(error: unknown): boolean {
  return isDomainError(error, 'unavailable');
}

function isDomainError(error: unknown, code: string): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'DomainError' &&
    (error as { code?: unknown }).code === code
  );
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The Host the client used (or X-Forwarded-Host under trustProxy), when it looks like one. */
function serviceHost(request: FastifyRequest): string {
  const host = request.host;
  return /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(host) ? host : 'localhost';
}
